import { expect, it } from 'vitest';
import { boundedLogger } from './connectionLog.ts';

function recorder() {
  const lines: { level: string; message: string; bindings: Record<string, unknown> }[] = [];
  let children = 0;
  const parent = {
    child(bindings: Record<string, unknown>) {
      children++;
      const record = (level: string) => (_object: object, message: string) =>
        lines.push({ level, message, bindings });
      return { info: record('info'), warn: record('warn'), error: record('error') };
    },
  };
  return { lines, parent, children: () => children };
}

it('writes the first lines of a connection, then one line saying the rest are suppressed', () => {
  const { lines, parent } = recorder();
  const log = boundedLogger(parent, { reqId: 'r1' }, 3);
  for (let i = 0; i < 50; i++) log.info({ i }, 'error frame sent');
  log.error({}, 'handling a chat frame failed');
  expect(lines.map(({ level, message }) => ({ level, message }))).toEqual([
    { level: 'info', message: 'error frame sent' },
    { level: 'info', message: 'error frame sent' },
    { level: 'info', message: 'error frame sent' },
    { level: 'info', message: 'further log lines of this connection are suppressed' },
  ]);
});

it('keeps the level of each line under the bound', () => {
  const { lines, parent } = recorder();
  const log = boundedLogger(parent, { reqId: 'r1' }, 3);
  log.info({}, 'a');
  log.warn({}, 'b');
  log.error({}, 'c');
  expect(lines.map((line) => line.level)).toEqual(['info', 'warn', 'error']);
});

it('makes the child logger, with the bindings, only when the first line is written', () => {
  const { lines, parent, children } = recorder();
  const log = boundedLogger(parent, { reqId: 'r1' }, 3);
  expect(children()).toBe(0);
  log.info({}, 'a');
  log.warn({}, 'b');
  expect(children()).toBe(1);
  expect(lines.map((line) => line.bindings)).toEqual([{ reqId: 'r1' }, { reqId: 'r1' }]);
});
