// An audit export asked for over REST (POST /api/audit/exports/): the request records its row and puts
// a job here with the export's id (enqueued by the request, not by events); the job streams the export
// into `{AUDIT_EXPORTS_DIR}/{id}.jsonl` (through a `.part` file renamed when whole, so a download never
// sees half a file) and moves the row's progress. A retry writes the file again from the start.
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { exportAuditLog } from '../audit/exportAuditLog.ts';
import { getExportRequest, markExportFinished, markExportProgress } from '../audit/exportRequests.ts';
import { auditSigner } from '../audit/signingKey.ts';
import { writeLines } from '../audit/writeLines.ts';
import type { JobDefinition } from './job.ts';

export type AuditExportData = { exportId: string };

export const AUDIT_EXPORT_JOB = 'audit-export';
/** progress is written to the row at most this often */
const PROGRESS_EVERY_MS = 1_000;

export const exportFilePath = (directory: string, exportId: string) => join(directory, `${exportId}.jsonl`);

export const auditExportJob: JobDefinition<AuditExportData> = {
  name: AUDIT_EXPORT_JOB,
  // an export reads the whole room (or store): one at a time per process
  concurrency: 1,
  eventTypes: [],

  async process(job: Job<AuditExportData>, { config, pool, eventStore }) {
    const request = await getExportRequest(pool, job.data.exportId);
    if (!request || request.state === 'done') return;
    const directory = config.AUDIT_EXPORTS_DIR;
    await mkdir(directory, { recursive: true });
    const path = exportFilePath(directory, request.id);
    try {
      const signer = await auditSigner(pool, config);
      let reported = 0;
      let counts = { written: 0, total: 0 };
      const progress: Promise<void>[] = [];
      const lines = exportAuditLog(pool, eventStore, signer, {
        scope: request.roomId ? { roomId: request.roomId } : { all: true },
        ...(request.from ? { from: request.from } : {}),
        ...(request.to ? { to: request.to } : {}),
        onProgress: (written, total) => {
          counts = { written, total };
          if (Date.now() - reported < PROGRESS_EVERY_MS) return;
          reported = Date.now();
          progress.push(markExportProgress(pool, request.id, written, total));
        },
      });
      const out = createWriteStream(`${path}.part`);
      await writeLines(lines, out);
      await Promise.all(progress);
      await rename(`${path}.part`, path);
      await markExportFinished(pool, request.id, { done: counts });
    } catch (error) {
      // the last attempt's error is the one the auditor sees; earlier ones are retried
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await markExportFinished(pool, request.id, { error: (error as Error).message });
      }
      throw error;
    }
  },
};
