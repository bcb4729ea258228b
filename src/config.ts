// Configuration from the environment, validated once at start: a bad value stops the process with a
// message naming the variable, never a half-configured service.
import { z } from 'zod';

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
);

/** Published in the README: only ever accepted when NODE_ENV is not `production` and no key is configured. */
export const DEVELOPMENT_JWT_SECRET = 'development-only-secret-do-not-use-in-production';

const ConfigSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8000),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
    /**
     * A transaction of ours left idle this long is ended by PostgreSQL: readers of the event store wait
     * behind the oldest open transaction (gap-free ordering), so a stuck one must not stall them for long.
     */
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
    /** redis key prefix: lets several deployments (or test files) share one Redis */
    REDIS_PREFIX: z.string().default('chat:'),
    /** esdb:// or kurrentdb://: use EventStoreDB; unset: the PostgreSQL event store in DATABASE_URL */
    EVENTSTORE_URL: z
      .string()
      .regex(
        /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb|kdb\+discover):\/\//,
        'must be an esdb:// or kurrentdb:// connection string',
      )
      .optional(),
    CHAT_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    CHAT_JWKS_URL: z.url().optional(),
    CHAT_JWT_ISSUER: z.string().optional(),
    CHAT_JWT_AUDIENCE: z.string().optional(),
    /** exact Origin values allowed to open a WebSocket; empty = any origin (development) */
    CHAT_ALLOWED_ORIGINS: csv.default([]),
    ATTACHMENTS_DIR: z.string().default('./data/attachments'),
    /** largest accepted upload, checked while the upload streams in (413 beyond it) */
    ATTACHMENTS_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .default(10 * 1024 * 1024),
    /** readiness fails when a projector is further behind the store's head than this many events */
    READY_MAX_PROJECTION_LAG: z.coerce.number().int().min(0).default(10_000),
    NODE_ENV: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((c) => c.CHAT_JWT_SECRET || c.CHAT_JWKS_URL || c.NODE_ENV !== 'production', {
    message: 'set CHAT_JWT_SECRET (HS256, at least 32 characters) or CHAT_JWKS_URL',
    path: ['CHAT_JWT_SECRET'],
  })
  // Outside production a newcomer's `npm start` works with no setup: tokens signed with the published
  // development secret are accepted (main.ts warns loudly). Production must bring its own key.
  .transform((c) =>
    c.CHAT_JWT_SECRET || c.CHAT_JWKS_URL
      ? c
      : { ...c, CHAT_JWT_SECRET: DEVELOPMENT_JWT_SECRET, usingDevelopmentSecret: true },
  );

export type Config = z.infer<typeof ConfigSchema> & { usingDevelopmentSecret?: boolean };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`,
  );
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}
