// `npm run chat -- token --user 42 --name alice [--roles moderator,auditor,ops] [--ttl 1h]`: prints an
// access token the service accepts, so a newcomer needs no JWT signer of their own. Signed with the
// secret the service would use, read from the same environment: the published development secret when no
// key is configured; a configured key (a real credential) only when the caller gives that key too, from a
// file or stdin (`--secret-file PATH|-`), never from the command line where `ps` shows it.
import { loadConfig } from '../config.ts';
import { mintAccessToken } from './developmentToken.ts';
import { ROLES, type Role, USER_ID_PATTERN } from './tokenVerifier.ts';

export const TOKEN_USAGE =
  'usage: npm run chat -- token --user ID [--name NAME] [--roles moderator,auditor,ops] [--ttl 1h] [--secret-file PATH|-]';

/** Long enough for a day of development, short enough that a token pasted somewhere dies soon. */
const MAX_TTL_SECONDS = 7 * 24 * 3_600;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

export class TokenCommandError extends Error {
  override readonly name = 'TokenCommandError';
  /** 2: the command line is wrong; 1: refused (a production key without that key given) */
  readonly exitCode: 1 | 2;
  constructor(exitCode: 1 | 2, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export type TokenArguments = {
  userId: string;
  username?: string;
  roles: Role[];
  ttlSeconds: number;
  secretFile?: string;
};

/** `90`, `90s`, `30m`, `1h`, `7d` as seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text);
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] || 's']! : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_TTL_SECONDS)) {
    throw new TokenCommandError(2, `--ttl ${text}: give 1s to 7d, such as 90s, 30m, 1h or 2d`);
  }
  return seconds;
}

export function parseTokenArguments(args: readonly string[]): TokenArguments {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (!['--user', '--name', '--roles', '--ttl', '--secret-file'].includes(flag) || value === undefined) {
      throw new TokenCommandError(2, TOKEN_USAGE);
    }
    values.set(flag, value);
  }
  const userId = values.get('--user');
  if (userId === undefined) throw new TokenCommandError(2, TOKEN_USAGE);
  if (!USER_ID_PATTERN.test(userId)) {
    throw new TokenCommandError(2, `--user ${userId}: letters, digits, _ and - only, at most 64`);
  }
  const roles = (values.get('--roles') ?? '').split(',').filter(Boolean);
  const unknown = roles.find((role) => !(ROLES as readonly string[]).includes(role));
  if (unknown !== undefined) {
    throw new TokenCommandError(2, `--roles: unknown role ${unknown}; there are: ${ROLES.join(', ')}`);
  }
  const username = values.get('--name');
  const secretFile = values.get('--secret-file');
  return {
    userId,
    ...(username !== undefined ? { username } : {}),
    roles: roles as Role[],
    ttlSeconds: parseTtl(values.get('--ttl') ?? '1h'),
    ...(secretFile !== undefined ? { secretFile } : {}),
  };
}

/**
 * The token, signed as the service configured by `env` verifies it. `readSecret` reads `--secret-file`
 * (a path, or `-` for stdin).
 */
export async function mintTokenFor(
  args: TokenArguments,
  env: Record<string, string | undefined>,
  readSecret: (path: string) => Promise<string>,
): Promise<string> {
  const configuredKey = env.CHAT_JWT_SECRET;
  const production = Boolean(configuredKey || env.CHAT_JWKS_URL || env.NODE_ENV === 'production');
  let secret: string;
  if (!production) {
    secret = loadConfig(env).CHAT_JWT_SECRET!; // the published development secret
  } else if (args.secretFile === undefined) {
    throw new TokenCommandError(
      1,
      'The service is configured with a production key (CHAT_JWT_SECRET, CHAT_JWKS_URL or NODE_ENV=production): a token signed with it is a real credential. Give that key with --secret-file PATH (or - for stdin) to mint one anyway.',
    );
  } else {
    secret = (await readSecret(args.secretFile)).trim();
    if (configuredKey !== undefined && secret !== configuredKey) {
      throw new TokenCommandError(1, 'The key given is not the configured CHAT_JWT_SECRET: refused.');
    }
    if (secret.length < 32) throw new TokenCommandError(1, 'The key given is shorter than 32 characters.');
  }
  return mintAccessToken(secret, {
    userId: args.userId,
    ...(args.username !== undefined ? { username: args.username } : {}),
    roles: args.roles,
    ttlSeconds: args.ttlSeconds,
    ...(env.CHAT_JWT_ISSUER ? { issuer: env.CHAT_JWT_ISSUER } : {}),
    ...(env.CHAT_JWT_AUDIENCE ? { audience: env.CHAT_JWT_AUDIENCE } : {}),
  });
}
