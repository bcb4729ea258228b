// fastify.pg: the PostgreSQL pool for read-model queries (and, by default, the event store).
import fp from 'fastify-plugin';
import type pg from 'pg';
import { createPool, watchPool } from '../../db/pool.ts';

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool;
  }
}

export type DatabasePluginOptions = {
  databaseUrl: string;
  /** PostgreSQL ends a transaction of ours idle this long (event store readers wait behind open ones) */
  idleInTransactionTimeoutMs: number;
  /** a pool owned by the caller (tests, main.ts): not closed with the app */
  pool?: pg.Pool;
};

export const databasePlugin = fp<DatabasePluginOptions>(
  async (fastify, options) => {
    const pool = options.pool ?? createPool({ ...options, max: 10 }, fastify.log);
    // a caller's pool gets the same guard: a dropped connection must not take the process down
    if (options.pool) watchPool(options.pool, fastify.log);
    fastify.decorate('pg', pool);
    if (!options.pool) fastify.addHook('onClose', async () => pool.end());
  },
  { name: 'database' },
);
