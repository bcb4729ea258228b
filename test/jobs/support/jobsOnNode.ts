// The jobs (src/jobs, all of the registry) running beside a test chat node, on its infrastructure.
import { startAppJobs } from '../../../src/app.ts';
import type { JobsHandle } from '../../../src/jobs/startJobs.ts';
import type { ChatNode } from '../../realtime/support/chatNode.ts';

export function startJobsOn(node: ChatNode): JobsHandle {
  return startAppJobs(node.app);
}
