// The webhook's circuit breaker (src/jobs/circuitBreaker.ts) on a hand-moved clock: it opens after the
// failures in a row, refuses until the cool-down ends, lets one trial through, and closes on its success.
import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '../../src/jobs/circuitBreaker.ts';

function clocked() {
  let clock = 1_000;
  const changes: string[] = [];
  const breaker = createCircuitBreaker({
    failures: 3,
    cooldownMs: 500,
    now: () => clock,
    onChange: (state) => changes.push(state),
  });
  const advance = (ms: number) => {
    clock += ms;
  };
  return { b: breaker, changes, advance };
}

describe('circuit breaker', () => {
  it('stays closed while failures are not in a row', () => {
    const { b } = clocked();
    b.failed();
    b.failed();
    b.succeeded();
    b.failed();
    b.failed();
    expect(b.state()).toBe('closed');
    expect(b.admit()).toEqual({ ok: true });
  });

  it('opens after the failures in a row and refuses until the cool-down ends', () => {
    const { b, changes, advance } = clocked();
    for (let i = 0; i < 3; i++) b.failed();
    expect(b.state()).toBe('open');
    expect(b.admit()).toEqual({ ok: false, retryAt: 1_500 });
    advance(499);
    expect(b.admit()).toEqual({ ok: false, retryAt: 1_500 });
    expect(changes).toEqual(['open']);
  });

  it('after the cool-down lets one trial through; its success closes the breaker', () => {
    const { b, changes, advance } = clocked();
    for (let i = 0; i < 3; i++) b.failed();
    advance(500);
    expect(b.state()).toBe('half_open');
    expect(b.admit()).toEqual({ ok: true });
    // the others wait for the trial's outcome
    expect(b.admit()).toEqual({ ok: false, retryAt: 2_000 });
    b.succeeded();
    expect(b.state()).toBe('closed');
    expect(b.admit()).toEqual({ ok: true });
    expect(changes).toEqual(['open', 'closed']);
  });

  it('a failed trial opens it for another cool-down', () => {
    const { b, changes, advance } = clocked();
    for (let i = 0; i < 3; i++) b.failed();
    advance(500);
    expect(b.admit()).toEqual({ ok: true });
    b.failed();
    expect(b.state()).toBe('open');
    expect(b.admit()).toEqual({ ok: false, retryAt: 2_000 });
    expect(changes).toEqual(['open', 'open']);
  });

  it('a trial never reported (its job died) lets another through after a cool-down', () => {
    const { b, advance } = clocked();
    for (let i = 0; i < 3; i++) b.failed();
    advance(500);
    expect(b.admit()).toEqual({ ok: true });
    advance(500);
    expect(b.admit()).toEqual({ ok: true });
  });
});
