import { describe, expect, it } from 'vitest';
import { onAbort } from './leadership.ts';

describe('onAbort', () => {
  it('runs the action when the signal aborts, once', () => {
    const controller = new AbortController();
    let runs = 0;
    onAbort(controller.signal, () => runs++);
    expect(runs).toBe(0);
    controller.abort();
    controller.abort();
    expect(runs).toBe(1);
  });

  it('runs it at once for a signal that has already aborted (a listener alone would never fire)', () => {
    let runs = 0;
    onAbort(AbortSignal.abort(), () => runs++);
    expect(runs).toBe(1);
  });

  it('runs nothing once removed', () => {
    const controller = new AbortController();
    let runs = 0;
    const remove = onAbort(controller.signal, () => runs++);
    remove();
    controller.abort();
    expect(runs).toBe(0);
  });
});
