// Creates or upgrades the database schema at start. node-pg-migrate records what ran in `pgmigrations`
// and holds a session advisory lock while it works; with `advisoryLockMode: 'wait'` a second process that
// starts at the same moment waits for the first and then finds nothing left to do.
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

/** The project's migrations: the event store uses 0001..0999, read models and jobs 1000 and up. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export type MigrateOptions = {
  /** where progress lines go; silent by default (the caller logs the returned names) */
  log?: (message: string) => void;
};

/** Applies every pending migration in one transaction; returns the names of those it ran. */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    advisoryLockMode: 'wait',
    singleTransaction: true,
    // Each area owns a number range, so a new event store migration (say 0002) may land after a read
    // model's 1003 already ran; the ranges are independent, so order across them does not matter.
    checkOrder: false,
    log: options.log ?? (() => {}),
  });
  return ran.map((migration) => migration.name);
}
