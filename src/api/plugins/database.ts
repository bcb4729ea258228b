// fastify.pg: the PostgreSQL pool for read-model queries (and, by default, the event store).
import fp from 'fastify-plugin';
import pg from 'pg';

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
    const pool =
      options.pool ??
      new pg.Pool({
        connectionString: options.databaseUrl,
        max: 10,
        idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
      });
    // a client dropped by the server (restart, idle-in-transaction timeout) must not crash the process:
    // the pool handles idle ones; a checked-out one gets this listener, and its next query fails instead
    pool.on('error', (error) => fastify.log.warn({ err: error }, 'idle PostgreSQL client failed'));
    pool.on('connect', (client) =>
      client.on('error', (error) => fastify.log.warn({ err: error }, 'PostgreSQL client failed')),
    );
    fastify.decorate('pg', pool);
    if (!options.pool) fastify.addHook('onClose', async () => pool.end());
  },
  { name: 'database' },
);
