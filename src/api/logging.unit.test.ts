import { describe, expect, it } from 'vitest';
import { redactUrl } from './logging.ts';

describe('redactUrl', () => {
  it('hides the value of token and access_token, however the name is spelled or encoded', () => {
    expect(redactUrl('/ws/chat/r/?token=abc.def.ghi')).toBe('/ws/chat/r/?token=[REDACTED]');
    expect(redactUrl('/ws/chat/?last_seq=4&TOKEN=x&b=1')).toBe('/ws/chat/?last_seq=4&TOKEN=[REDACTED]&b=1');
    expect(redactUrl('/x?%74oken=secret')).toBe('/x?%74oken=[REDACTED]');
    expect(redactUrl('/x?access_token=secret;token=again')).toBe(
      '/x?access_token=[REDACTED];token=[REDACTED]',
    );
  });

  it('hides a search, which is the words of messages', () => {
    expect(redactUrl('/api/chat/search/?q=door%20code&sort=newest')).toBe(
      '/api/chat/search/?q=[REDACTED]&sort=newest',
    );
    expect(redactUrl('/api/chat/rooms/r/messages/?Q=lease&limit=5')).toBe(
      '/api/chat/rooms/r/messages/?Q=[REDACTED]&limit=5',
    );
  });

  it('leaves other URLs alone', () => {
    expect(redactUrl('/api/chat/rooms/?type=direct&limit=5')).toBe('/api/chat/rooms/?type=direct&limit=5');
    expect(redactUrl('/healthz')).toBe('/healthz');
    expect(redactUrl('/x?tokens=5&my_token=1')).toBe('/x?tokens=5&my_token=1');
    expect(redactUrl('/x?query=5&qq=1')).toBe('/x?query=5&qq=1');
  });
});
