// The jobs (src/jobs, all of the registry) running beside a test chat node, on its infrastructure.
import { type JobsHandle, startJobs } from '../../../src/jobs/startJobs.ts';
import type { ChatNode } from '../../realtime/support/chatNode.ts';

export function startJobsOn(node: ChatNode): JobsHandle {
  return startJobs({
    config: node.app.config,
    pool: node.app.pg,
    eventStore: node.app.eventStore,
    logger: node.app.log,
    redisConnection: node.app.redisConnection,
  });
}
