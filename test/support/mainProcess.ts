// `npm start`'s process (src/main.ts) as a child of the test, on a port of its choosing: its log lines are
// kept and can be waited for; it is killed when the test file ends if it still runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export type MainProcess = {
  process: ChildProcess;
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
  /** every line of stdout and stderr so far */
  lines: string[];
  /** the first line (past or future) that matches; rejects when the process exits first */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
};

export function startMain(
  env: Record<string, string | undefined>,
  command: { file: string; args: string[]; cwd?: string } = {
    file: process.execPath,
    args: ['--max-semi-space-size=64', MAIN],
  },
): MainProcess {
  const child = spawn(command.file, command.args, {
    ...(command.cwd ? { cwd: command.cwd } : {}),
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const wake of waiters) wake();
    });
  }
  let done = false;
  void exited.then(() => {
    done = true;
    for (const wake of waiters) wake();
  });
  return {
    process: child,
    exited,
    lines,
    waitForLine(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`no line ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`)),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(look);
          settle();
        };
        const look = () => {
          for (const line of lines) {
            const match = pattern.exec(line);
            if (match) return finish(() => resolve(match));
          }
          if (done) finish(() => reject(new Error(`exited before ${pattern}:\n${lines.join('\n')}`)));
        };
        waiters.add(look);
        look();
      });
    },
  };
}

/** The port of `Server listening at http://127.0.0.1:PORT` (Fastify's line). */
export async function listeningPort(main: MainProcess): Promise<number> {
  const match = await main.waitForLine(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/);
  return Number(match[1]);
}
