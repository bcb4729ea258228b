// Every job the service runs. A new one is a file under src/jobs that exports a JobDefinition, and one
// line here: the runner (startJobs.ts) gives it its queue, its workers and its producer.
import { auditExportJob } from './auditExport.ts';
import type { JobData, JobDefinition } from './job.ts';
import { moderationWebhookJob } from './moderationWebhook.ts';
import { muteExpiryJob } from './muteExpiry.ts';
import { notificationMuteExpiryJob } from './notificationMuteExpiry.ts';
import { retentionJob } from './retention.ts';

export const JOBS: readonly JobDefinition<JobData>[] = [
  muteExpiryJob,
  notificationMuteExpiryJob,
  auditExportJob,
  retentionJob,
  moderationWebhookJob,
];
