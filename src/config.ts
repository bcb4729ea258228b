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

/** Published too: the master key data keys are wrapped with when none is configured, outside production. */
export const DEVELOPMENT_MASTER_KEYS = 'development:ZGV2LW9ubHktbWFzdGVyLWtleS1ub3QtYS1zZWNyZXQ=';

/** `id:base64 of 32 bytes`, comma separated: the master keys of envelope encryption (docs/privacy.md) */
const masterKeys = csv.transform((entries, ctx) => {
  const keys = new Map<string, Buffer>();
  for (const entry of entries) {
    const at = entry.indexOf(':');
    const key = at > 0 ? Buffer.from(entry.slice(at + 1), 'base64') : Buffer.alloc(0);
    if (key.length !== 32) {
      ctx.addIssue({ code: 'custom', message: 'each entry is id:base64 of 32 bytes' });
      return z.NEVER;
    }
    keys.set(entry.slice(0, at), key);
  }
  return keys;
});

const ConfigSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8000),
    HOST: z.string().default('0.0.0.0'),
    /** the whole request (headers and body, uploads included) must arrive within this */
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
    /** the request's headers must arrive within this */
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /** a connection with no traffic either way for this long is closed (one that never sends a request) */
    HTTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    /** an idle keep-alive connection is closed after this (longer than a load balancer's usual 60 s) */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(72_000),
    /** requests one connection may carry; then the client opens another */
    HTTP_MAX_REQUESTS_PER_SOCKET: z.coerce.number().int().min(1).default(1_000),
    /**
     * connections the kernel holds for the server to accept: Node's 511 overflowed when thousands of
     * clients reconnected at once after a restart, and each dropped connection waited out TCP's own
     * retransmission backoff (1, 2, 4 … 64 s). The kernel caps it at net.core.somaxconn
     */
    HTTP_LISTEN_BACKLOG: z.coerce.number().int().min(1).default(8_192),
    /** connections from one address that have not authenticated yet, per node; 0 turns the cap off */
    HTTP_MAX_UNAUTHENTICATED_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).default(128),
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
    /** exact Origin values allowed to open a WebSocket; empty = only the service's own origin */
    CHAT_ALLOWED_ORIGINS: csv.default([]),
    /** the chatbox's production sign-in: the Django backend's token endpoint (SimpleJWT, {username, password}) */
    CHAT_WEB_LOGIN_URL: z.url().optional(),
    /** and its refresh endpoint ({refresh} → {access}) */
    CHAT_WEB_REFRESH_URL: z.url().optional(),
    ATTACHMENTS_DIR: z.string().default('./data/attachments'),
    /** largest accepted upload, checked while the upload streams in (413 beyond it) */
    ATTACHMENTS_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .default(10 * 1024 * 1024),
    /** an image whose header declares more pixels than this is refused (image_too_large), never decoded */
    ATTACHMENTS_MAX_IMAGE_PIXELS: z.coerce.number().int().min(1).default(50_000_000),
    /** readiness fails when a projector is further behind the store's head than this many events */
    READY_MAX_PROJECTION_LAG: z.coerce.number().int().min(0).default(10_000),
    /** the audit log's C2SP signer key (PRIVATE+KEY+origin+id+key); unset outside production: generated once */
    AUDIT_SIGNING_KEY: z.string().startsWith('PRIVATE+KEY+', 'must be a C2SP signer key').optional(),
    /** the audit log's origin (the generated key's name), e.g. chat.example.com/audit */
    AUDIT_ORIGIN: z
      .string()
      .regex(/^[^\s+]+$/, 'no spaces or +')
      .default('chat.local/audit'),
    /** where exports asked for over REST are written (and downloaded from) */
    AUDIT_EXPORTS_DIR: z.string().default('./data/audit-exports'),
    /** on: personal fields are stored encrypted (crypto-shredding, docs/privacy.md); off: stored as sent */
    PRIVACY_ENCRYPTION: z.enum(['on', 'off']).default('on'),
    PRIVACY_MASTER_KEYS: masterKeys.optional(),
    /** the master key new data keys are wrapped with; default the first of PRIVACY_MASTER_KEYS */
    PRIVACY_MASTER_KEY_ID: z.string().optional(),
    /**
     * how often each process reads the key store's count of destructions, and drops its cached keys and
     * command states when it moved: how long destroyed keys can stay in a process that missed the Redis
     * notice (docs/privacy.md); 0 never (only the notice)
     */
    PRIVACY_KEY_CHECK_MS: z.coerce.number().int().min(0).default(5_000),
    /**
     * unset: /metrics on PORT, for tokens with the ops role; set: /metrics on this port (0: any free one)
     * without authentication, bound to METRICS_HOST
     */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    METRICS_HOST: z.string().default('127.0.0.1'),
    /** off: nothing is rate limited (benchmarks); on by default. A RATE_LIMIT_* of 0 turns that one off */
    RATE_LIMITS: z.enum(['on', 'off']).default('on'),
    /** message sends per user per second, across every node and socket (docs/api.md, "Rate limits") */
    RATE_LIMIT_SEND_PER_SECOND: z.coerce.number().int().min(0).default(5),
    /** the most sends a user may make within a second, counting a burst allowance that refills in 10 s */
    RATE_LIMIT_SEND_BURST: z.coerce.number().int().min(0).default(10),
    /** other writes (edits, reactions, read markers, room and participant changes) per user per second */
    RATE_LIMIT_WRITE_PER_SECOND: z.coerce.number().int().min(0).default(10),
    RATE_LIMIT_WRITE_BURST: z.coerce.number().int().min(0).default(20),
    /** attachment uploads per user per minute */
    RATE_LIMIT_UPLOADS_PER_MINUTE: z.coerce.number().int().min(0).default(20),
    /** WebSocket connections a user may open per minute, across every node */
    RATE_LIMIT_SOCKETS_PER_MINUTE: z.coerce.number().int().min(0).default(30),
    /**
     * requests without credentials and WebSocket handshakes per address per minute: loose, as staff behind
     * one office NAT share an address
     */
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(0).default(600),
    /**
     * how often the jobs' reconciler re-derives timed work (ends of mutes and silences) from the read
     * models and puts back what Redis lost: the most a flushed Redis delays an unmute
     */
    JOBS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
    /**
     * how often the retention job runs the retention policy (docs/privacy.md): daily by default, the first
     * run when the schedule is put in place; 0 never on its own (a run asked over REST still runs)
     */
    RETENTION_RUN_EVERY_MS: z.coerce.number().int().min(0).default(86_400_000),
    /**
     * escalation: this many violations of `block` or `bounce` rules by one user in one room within
     * MODERATION_ESCALATION_WINDOW_SECONDS mute them there for MODERATION_ESCALATION_MUTE_MINUTES, by the
     * moderation policy (docs/moderation.md); 0 turns it off
     */
    MODERATION_ESCALATION_VIOLATIONS: z.coerce.number().int().min(0).default(3),
    MODERATION_ESCALATION_WINDOW_SECONDS: z.coerce.number().int().min(1).default(600),
    MODERATION_ESCALATION_MUTE_MINUTES: z.coerce.number().int().min(1).default(60),
    /**
     * the post-send moderation hook (docs/moderation.md, "The moderation webhook"): each new or edited
     * message is POSTed here as a job and its verdict (allow, hide, report) is acted on by the moderation
     * policy; unset: no webhook job runs
     */
    MODERATION_WEBHOOK_URL: z.url().optional(),
    /** one call (connect, answer and body) must be done within this, or the attempt failed */
    MODERATION_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
    /** jobs that call the hook started per second, across every worker on this Redis (BullMQ's limiter); 0: no limit */
    MODERATION_WEBHOOK_RATE_PER_SECOND: z.coerce.number().int().min(0).default(20),
    /** attempts per message version, with exponential backoff from MODERATION_WEBHOOK_BACKOFF_MS */
    MODERATION_WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).default(5),
    MODERATION_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).default(1_000),
    /** the circuit breaker: this many failed calls in a row stop calls for MODERATION_WEBHOOK_COOLDOWN_MS */
    MODERATION_WEBHOOK_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
    MODERATION_WEBHOOK_COOLDOWN_MS: z.coerce.number().int().min(100).default(30_000),
    /**
     * a running job's lock lasts this long and is renewed at half of it; a worker checks this often for
     * jobs whose lock lapsed (their worker died or hung) and runs them again: about the most a killed
     * worker delays a job by twice this (BullMQ's lockDuration and stalledInterval)
     */
    JOBS_STALL_AFTER_MS: z.coerce.number().int().min(500).default(30_000),
    NODE_ENV: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  // Node refuses a headers deadline beyond the whole request's
  .refine((c) => c.HTTP_HEADERS_TIMEOUT_MS <= c.HTTP_REQUEST_TIMEOUT_MS, {
    message: 'must not be longer than HTTP_REQUEST_TIMEOUT_MS',
    path: ['HTTP_HEADERS_TIMEOUT_MS'],
  })
  .refine((c) => c.RATE_LIMIT_SEND_BURST >= c.RATE_LIMIT_SEND_PER_SECOND, {
    message: 'must be at least RATE_LIMIT_SEND_PER_SECOND',
    path: ['RATE_LIMIT_SEND_BURST'],
  })
  .refine((c) => c.RATE_LIMIT_WRITE_BURST >= c.RATE_LIMIT_WRITE_PER_SECOND, {
    message: 'must be at least RATE_LIMIT_WRITE_PER_SECOND',
    path: ['RATE_LIMIT_WRITE_BURST'],
  })
  .refine((c) => c.CHAT_JWT_SECRET || c.CHAT_JWKS_URL || c.NODE_ENV !== 'production', {
    message: 'set CHAT_JWT_SECRET (HS256, at least 32 characters) or CHAT_JWKS_URL',
    path: ['CHAT_JWT_SECRET'],
  })
  .refine((c) => c.PRIVACY_MASTER_KEYS || c.NODE_ENV !== 'production', {
    message: 'set PRIVACY_MASTER_KEYS (id:base64 of 32 bytes)',
    path: ['PRIVACY_MASTER_KEYS'],
  })
  .refine(
    (c) => !c.PRIVACY_MASTER_KEY_ID || (c.PRIVACY_MASTER_KEYS ?? new Map()).has(c.PRIVACY_MASTER_KEY_ID),
    { message: 'must name a key of PRIVACY_MASTER_KEYS', path: ['PRIVACY_MASTER_KEY_ID'] },
  )
  // Outside production a newcomer's `npm start` works with no setup: tokens signed with the published
  // development secret are accepted (main.ts warns loudly). Production must bring its own key.
  .transform((c) =>
    c.CHAT_JWT_SECRET || c.CHAT_JWKS_URL
      ? c
      : { ...c, CHAT_JWT_SECRET: DEVELOPMENT_JWT_SECRET, usingDevelopmentSecret: true },
  )
  // likewise the published development master key (production must configure its own, refined above)
  .transform((c) => {
    const keys = c.PRIVACY_MASTER_KEYS ?? masterKeys.parse(DEVELOPMENT_MASTER_KEYS);
    return {
      ...c,
      PRIVACY_MASTER_KEYS: keys,
      PRIVACY_MASTER_KEY_ID: c.PRIVACY_MASTER_KEY_ID ?? [...keys.keys()][0]!,
    };
  });

export type Config = z.infer<typeof ConfigSchema> & { usingDevelopmentSecret?: boolean };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** For entry points: the configuration, or the process ends with the message and EX_CONFIG (78). */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(78);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`,
  );
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}
