import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_JWT_SECRET, DEVELOPMENT_MASTER_KEYS, loadConfig } from './config.ts';

const MASTER_KEYS = `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`;

describe('loadConfig', () => {
  it('encrypts personal fields by default, on the published development master key outside production', () => {
    const config = loadConfig({});
    expect(config.PRIVACY_ENCRYPTION).toBe('on');
    expect(config.PRIVACY_MASTER_KEY_ID).toBe('development');
    expect(config.PRIVACY_MASTER_KEYS.get('development')).toEqual(
      loadConfig({ PRIVACY_MASTER_KEYS: DEVELOPMENT_MASTER_KEYS }).PRIVACY_MASTER_KEYS.get('development'),
    );
  });

  it('refuses production without a master key, and a current key that is not configured', () => {
    const production = { NODE_ENV: 'production', CHAT_JWT_SECRET: 'x'.repeat(40) };
    expect(() => loadConfig(production)).toThrow(/PRIVACY_MASTER_KEYS: set PRIVACY_MASTER_KEYS/);
    const configured = loadConfig({ ...production, PRIVACY_MASTER_KEYS: MASTER_KEYS });
    expect([...configured.PRIVACY_MASTER_KEYS.keys()]).toEqual(['k2', 'k1']);
    expect(configured.PRIVACY_MASTER_KEY_ID).toBe('k2');
    expect(() => loadConfig({ PRIVACY_MASTER_KEYS: MASTER_KEYS, PRIVACY_MASTER_KEY_ID: 'k3' })).toThrow(
      /PRIVACY_MASTER_KEY_ID: must name a key/,
    );
    expect(() => loadConfig({ PRIVACY_MASTER_KEYS: 'k:short' })).toThrow(/id:base64 of 32 bytes/);
  });

  it('starts with no setup outside production, on the published development secret', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      REDIS_URL: 'redis://127.0.0.1:6379',
      CHAT_JWT_SECRET: DEVELOPMENT_JWT_SECRET,
      usingDevelopmentSecret: true,
    });
    expect(config.EVENTSTORE_URL).toBeUndefined();
  });

  it('refuses to start in production without a signing key, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CHAT_JWT_SECRET: set CHAT_JWT_SECRET/);
  });

  it('uses the configured key and never the development one when a key is set', () => {
    const secret = 'x'.repeat(40);
    expect(loadConfig({ CHAT_JWT_SECRET: secret })).toMatchObject({ CHAT_JWT_SECRET: secret });
    expect(loadConfig({ CHAT_JWT_SECRET: secret }).usingDevelopmentSecret).toBeUndefined();
    const jwks = loadConfig({
      NODE_ENV: 'production',
      CHAT_JWKS_URL: 'https://auth.example/jwks.json',
      PRIVACY_MASTER_KEYS: MASTER_KEYS,
    });
    expect(jwks.CHAT_JWT_SECRET).toBeUndefined();
  });

  it('gives every HTTP deadline and cap a safe default', () => {
    expect(loadConfig({})).toMatchObject({
      HTTP_REQUEST_TIMEOUT_MS: 60_000,
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_IDLE_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
      HTTP_MAX_REQUESTS_PER_SOCKET: 1_000,
      HTTP_MAX_UNAUTHENTICATED_CONNECTIONS_PER_IP: 128,
      ATTACHMENTS_MAX_IMAGE_PIXELS: 50_000_000,
      CHAT_ALLOWED_ORIGINS: [],
    });
  });

  it('runs no moderation webhook unless its URL is set, and gives its calls safe defaults', () => {
    const webhook = Object.entries(loadConfig({})).filter(([name]) => name.startsWith('MODERATION_WEBHOOK_'));
    // as the README's settings table says
    expect(Object.fromEntries(webhook)).toEqual({
      MODERATION_WEBHOOK_TIMEOUT_MS: 5_000,
      MODERATION_WEBHOOK_RATE_PER_SECOND: 20,
      MODERATION_WEBHOOK_ATTEMPTS: 5,
      MODERATION_WEBHOOK_BACKOFF_MS: 1_000,
      MODERATION_WEBHOOK_BREAKER_FAILURES: 5,
      MODERATION_WEBHOOK_COOLDOWN_MS: 30_000,
    });
    expect(loadConfig({ MODERATION_WEBHOOK_URL: 'http://hook.internal/judge' }).MODERATION_WEBHOOK_URL).toBe(
      'http://hook.internal/judge',
    );
    expect(() => loadConfig({ MODERATION_WEBHOOK_URL: 'hook.internal' })).toThrow(/MODERATION_WEBHOOK_URL:/);
  });

  it('refuses a headers deadline longer than the whole request', () => {
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it('names every bad variable in one message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', EVENTSTORE_URL: 'http://es:2113', CHAT_JWT_SECRET: 'short' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/PORT:/);
    expect(message).toMatch(/EVENTSTORE_URL: must be an esdb:\/\/ or kurrentdb:\/\/ connection string/);
    expect(message).toMatch(/CHAT_JWT_SECRET: must be at least 32 characters/);
  });
});
