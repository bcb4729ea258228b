// A worker process for the stalled-worker test (`kill -9` mid-job): runs only the held job, holding it,
// after telling Redis it started. The test's environment says where (DATABASE_URL, REDIS_PREFIX, ...).
import { Redis } from 'ioredis';
import { loadConfigOrExit } from '../../../src/config.ts';
import { createInfrastructure } from '../../../src/infrastructure/createInfrastructure.ts';
import { startJobs } from '../../../src/jobs/startJobs.ts';
import { heldJob } from './heldJob.ts';

const config = loadConfigOrExit();
const infrastructure = await createInfrastructure(config, { process: 'worker' });
const redis = new Redis(config.REDIS_URL);
startJobs(infrastructure, {
  produce: false,
  jobs: [
    heldJob({
      hold: true,
      onStarted: async () => void (await redis.set(`${config.REDIS_PREFIX}held-started`, '1')),
    }),
  ],
});
