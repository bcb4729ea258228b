// Child processes of the realtime benchmark: the bare relay, the app (`npm start`'s entry point) and the
// load generator. Each is a separate Node process so the generator never shares an event loop with a server.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { GeneratorConfig, GeneratorMessage, StepResult } from './loadGenerator.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export type Server = { port: number; process: ChildProcess; stop(): Promise<void> };

async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

export async function startBareRelay(nodeOptions: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [...nodeOptions, here('./bareRelay.ts'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare relay exited with ${code}`)));
  });
  return { port, process: child, stop: () => stopProcess(child) };
}

/**
 * Starts `node src/main.ts` with the given environment and waits until /healthz answers. Node options come
 * from BENCH_APP_NODE_OPTIONS and the caller's `nodeOptions`.
 */
export async function startApp(env: Record<string, string>, nodeOptions: string[] = []): Promise<Server> {
  const fromEnvironment = process.env.BENCH_APP_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...fromEnvironment, ...nodeOptions, here('../../src/main.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const port = Number(env.PORT);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('the app did not become healthy within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { port, process: child, stop: () => stopProcess(child) };
}

/** Runs one scenario in a fresh load-generator process; `onStep` sees each step as it finishes. */
export async function runGenerator<Result extends StepResult = StepResult>(
  config: GeneratorConfig,
  onStep: (result: Result) => void,
  onStepStarted: (rate: number) => void = () => {},
  /** what the caller adds to a step when it ends (say, CPU spent), before onStep sees it */
  complete: (result: StepResult) => Promise<Result> = async (result) => result as Result,
): Promise<Result[]> {
  const child = fork(here('./loadGenerator.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const results: Result[] = [];
  let completing = Promise.resolve();
  const finished = new Promise<void>((resolve, reject) => {
    child.on('message', (message: GeneratorMessage) => {
      if (message.kind === 'step') {
        completing = completing.then(async () => {
          const result = await complete(message.result);
          results.push(result);
          onStep(result);
        });
      } else if (message.kind === 'step-started') {
        onStepStarted(message.rate);
      } else if (message.kind === 'connected') {
        console.log(`  ${message.clients} clients connected in ${message.ms} ms`);
      } else reject(new Error(message.error));
    });
    child.once('exit', () => resolve());
  });
  child.send(config);
  await finished;
  await completing;
  return results;
}
