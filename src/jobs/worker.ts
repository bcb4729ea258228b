// `npm run worker`: the jobs alone (src/jobs/registry.ts), without HTTP or the projector, for a process
// manager's `worker` entry. `npm start` runs them too; any number of both may run on one Redis. Stops on
// SIGTERM/SIGINT within the jobs' stop timeout (a job still running then runs again elsewhere).
import { loadConfigOrExit } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { createInfrastructure } from '../infrastructure/createInfrastructure.ts';
import { startJobs } from './startJobs.ts';

const config = loadConfigOrExit();
await migrate(config.DATABASE_URL);
const infrastructure = await createInfrastructure(config, { process: 'worker' });
const jobs = startJobs(infrastructure);
infrastructure.logger.info({ jobs: [...jobs.queues.keys()] }, 'job worker running');

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  infrastructure.logger.info({ signal }, 'job worker stopping');
  await jobs.stop();
  await infrastructure.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
