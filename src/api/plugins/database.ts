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
  /** a pool owned by the caller (tests, main.ts): not closed with the app */
  pool?: pg.Pool;
};

export const databasePlugin = fp<DatabasePluginOptions>(
  async (fastify, options) => {
    const pool = options.pool ?? new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    // an idle client dropped by the server must not crash the process; the next query reconnects
    pool.on('error', (error) => fastify.log.warn({ err: error }, 'idle PostgreSQL client failed'));
    fastify.decorate('pg', pool);
    if (!options.pool) fastify.addHook('onClose', async () => pool.end());
  },
  { name: 'database' },
);
