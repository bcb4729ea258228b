import { describe, expect, it } from 'vitest';
import { canonicalJson, toJsonValue } from './canonicalJson.ts';

const fromIeee = (bits: string) => Buffer.from(bits, 'hex').readDoubleBE(0);

describe('canonical JSON (RFC 8785)', () => {
  it('serializes the JCS reference "values" vector', () => {
    const input = JSON.parse(
      '{"numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],' +
        ' "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}',
    );
  });

  it('sorts keys by UTF-16 code units as the JCS "weird" vector does', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","1":"One","\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley",' +
        '"\\u00f6":"Latin Small Letter O With Diaeresis","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
        '"</script>":"Browser Challenge"}',
    );
    expect(canonicalJson(input)).toBe(
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😂":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('writes numbers as RFC 8785 appendix B does', () => {
    const cases: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af6', '1e+23'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
    ];
    for (const [bits, text] of cases) expect(canonicalJson([fromIeee(bits)])).toBe(`[${text}]`);
  });

  it('turns bigints and dates into strings and drops undefined members', () => {
    const value = toJsonValue({
      b: 12345678901234567890n,
      a: new Date('2026-01-02T03:04:05.006Z'),
      c: undefined,
    });
    expect(canonicalJson(value)).toBe('{"a":"2026-01-02T03:04:05.006Z","b":"12345678901234567890"}');
  });

  it('refuses what JSON cannot carry exactly, naming where it is', () => {
    expect(() => toJsonValue({ data: { n: Number.NaN } })).toThrow(/data\.n: the number NaN/);
    expect(() => toJsonValue({ text: 'a\ud800b' })).toThrow(/text: a string with a lone surrogate/);
    expect(() => toJsonValue({ f: () => 1 })).toThrow(/f: a function/);
  });
});
