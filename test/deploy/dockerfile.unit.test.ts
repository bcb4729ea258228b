// deploy/Dockerfile is never built here (no Docker engine in this project's CI): this reads it as text and
// checks what a build would trip on first, or ship wrong without failing: a COPY of a file that does not
// exist or that .dockerignore leaves out, a runtime stage without the server code, the migrations or the
// built chatbox, an `npm ci` that runs the root `prepare` script (vite, a dev dependency), dev dependencies
// in the runtime, and a path the service writes that is not on the writable /data volume.
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

type Instruction = { keyword: string; args: string };
type Stage = { name: string; instructions: Instruction[] };

/** The Dockerfile's stages and their instructions (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const name = / AS (\S+)$/i.exec(instruction.args)?.[1] ?? String(stages.length);
      stages.push({ name, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

type Copy = { from?: string; sources: string[]; destination: string };

function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map(({ args }) => {
      const words = args.split(/\s+/);
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((word) => !word.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
    });
}

const runsOf = (stage: Stage) =>
  stage.instructions.filter((instruction) => instruction.keyword === 'RUN').map(({ args }) => args);

/** Where a COPY puts things, as a path under the stage's WORKDIR (`./src` → `/app/src`). */
function destinationsOf(stage: Stage): string[] {
  let workdir = '/';
  const destinations: string[] = [];
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'WORKDIR') workdir = posix.resolve(workdir, instruction.args);
    if (instruction.keyword !== 'COPY') continue;
    const copy = copiesOf({ name: stage.name, instructions: [instruction] })[0]!;
    if (copy.destination.endsWith('/')) {
      for (const source of copy.sources)
        destinations.push(posix.resolve(workdir, copy.destination, posix.basename(source)));
    } else destinations.push(posix.resolve(workdir, copy.destination));
  }
  return destinations;
}

const stages = parseDockerfile(read('deploy/Dockerfile'));
const runtime = stages.at(-1)!;
const stage = (name: string | undefined) => stages.find((candidate) => candidate.name === name);
const ignored = read('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const isIgnored = (path: string) =>
  ignored.some((pattern) => path === pattern || path.startsWith(`${pattern}/`));

describe('deploy/Dockerfile, read statically', () => {
  it('copies only files that exist in the repository and reach the build context', () => {
    const fromContext = stages.flatMap((s) => copiesOf(s).filter((copy) => copy.from === undefined));
    const sources = fromContext.flatMap((copy) => copy.sources);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => !existsSync(`${ROOT}${source}`))).toEqual([]);
    expect(sources.filter(isIgnored)).toEqual([]);
    // the image builds its own: the machine's would be stale or for another platform
    expect(['node_modules', 'web/dist'].filter((path) => !isIgnored(path))).toEqual([]);
  });

  it('copies from other stages only what they make', () => {
    for (const copy of stages.flatMap(copiesOf).filter((c) => c.from !== undefined)) {
      expect(stage(copy.from), `COPY --from=${copy.from}`).toBeDefined();
    }
  });

  it('gives the runtime stage the code, the migrations, the production dependencies and the chatbox', () => {
    expect(destinationsOf(runtime)).toEqual(
      expect.arrayContaining([
        '/app/src',
        '/app/migrations',
        '/app/node_modules',
        '/app/web/dist',
        '/app/package.json',
      ]),
    );
    const chatbox = copiesOf(runtime).find((copy) => copy.destination === './web/dist')!;
    expect(runsOf(stage(chatbox.from)!).some((run) => run.includes('node web/build.ts'))).toBe(true);
    const dependencies = copiesOf(runtime).find((copy) => copy.destination === './node_modules')!;
    expect(runsOf(stage(dependencies.from)!).some((run) => /npm ci .*--omit=dev/.test(run))).toBe(true);
    expect(runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['node']);
  });

  it('never runs the root prepare script (it needs vite) in an npm ci', () => {
    const installs = stages.flatMap(runsOf).filter((run) => run.includes('npm ci'));
    expect(installs.length).toBeGreaterThan(0);
    expect(installs.filter((run) => !run.includes('--ignore-scripts'))).toEqual([]);
  });

  it('puts every directory the service writes by default on the /data volume', () => {
    const env = Object.fromEntries(
      runtime.instructions
        .filter((instruction) => instruction.keyword === 'ENV')
        .flatMap(({ args }) => [...args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
    );
    // what config.ts would put under ./data, that is under /app: root's, not writable by `node`
    const written = Object.entries(loadConfig({}))
      .filter(([, value]) => typeof value === 'string' && value.startsWith('./data'))
      .map(([key]) => key);
    expect(written).toEqual(expect.arrayContaining(['ATTACHMENTS_DIR', 'AUDIT_EXPORTS_DIR']));
    expect(written.filter((key) => !env[key]?.startsWith('/data/'))).toEqual([]);
    expect(runtime.instructions.some((i) => i.keyword === 'VOLUME' && i.args.includes('/data'))).toBe(true);
  });
});
