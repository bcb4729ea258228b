// Builds the chatbox when web/dist is missing or older than its sources (npm ci's `prepare`, `npm start`,
// the browser tests): `npm ci && npm start` does everything, and a pulled change is never served stale.
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** written after a successful build: its time is the build's start */
const stamp = join(root, 'web/dist/.built');
const SOURCES = ['web/src', 'web/index.html', 'web/vite.config.ts', 'src/client', 'src/contract'];

function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) if (existsSync(join(root, source))) visit(join(root, source));
  return newest;
}

export function webBuildIsStale(): boolean {
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newestSource();
}

export async function buildWebIfStale(): Promise<void> {
  if (!webBuildIsStale()) return;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    console.warn('vite is not installed (npm ci --omit=dev?): the chatbox is not rebuilt');
    return;
  }
  const startedAt = new Date();
  await vite.build({ configFile: join(root, 'web/vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stamp, startedAt.toISOString());
  utimesSync(stamp, startedAt, startedAt);
}

if (import.meta.main) await buildWebIfStale();
