import { expect, it } from 'vitest';
import { boundedLogger } from './connectionLog.ts';

function recorder() {
  const lines: { level: string; message: string }[] = [];
  const record = (level: string) => (_object: object, message: string) => lines.push({ level, message });
  return { lines, logger: { info: record('info'), warn: record('warn'), error: record('error') } };
}

it('writes the first lines of a connection, then one line saying the rest are suppressed', () => {
  const { lines, logger } = recorder();
  const log = boundedLogger(logger, 3);
  for (let i = 0; i < 50; i++) log.info({ i }, 'error frame sent');
  log.error({}, 'handling a chat frame failed');
  expect(lines).toEqual([
    { level: 'info', message: 'error frame sent' },
    { level: 'info', message: 'error frame sent' },
    { level: 'info', message: 'error frame sent' },
    { level: 'info', message: 'further log lines of this connection are suppressed' },
  ]);
});

it('keeps the level of each line under the bound', () => {
  const { lines, logger } = recorder();
  const log = boundedLogger(logger, 3);
  log.info({}, 'a');
  log.warn({}, 'b');
  log.error({}, 'c');
  expect(lines.map((line) => line.level)).toEqual(['info', 'warn', 'error']);
});
