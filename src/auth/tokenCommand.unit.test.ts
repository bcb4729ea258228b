import { describe, expect, it } from 'vitest';
import { parseTokenArguments, parseTtl } from './tokenCommand.ts';

describe('the token command line', () => {
  it('reads lifetimes in seconds, minutes, hours and days, within 1 s to 7 d', () => {
    expect([parseTtl('90'), parseTtl('90s'), parseTtl('30m'), parseTtl('1h'), parseTtl('7d')]).toEqual([
      90, 90, 1_800, 3_600, 604_800,
    ]);
    for (const bad of ['0', '8d', '1w', '-1h', '1.5h', '']) expect(() => parseTtl(bad)).toThrow(/--ttl/);
  });

  it('reads the user, name and roles; an hour by default', () => {
    expect(parseTokenArguments(['--user', '42', '--name', 'alice', '--roles', 'auditor,ops'])).toEqual({
      userId: '42',
      username: 'alice',
      roles: ['auditor', 'ops'],
      ttlSeconds: 3_600,
    });
    expect(() => parseTokenArguments(['--user'])).toThrow(/usage/);
    expect(() => parseTokenArguments(['--user', '42', '--secret', 'x'])).toThrow(/usage/);
  });
});
