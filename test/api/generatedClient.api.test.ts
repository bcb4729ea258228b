// The OpenAPI document suffices for code generation: a TypeScript client is generated from the served
// /openapi.json at test time (swagger-typescript-api, fetch) and drives a whole flow against the real service
// over HTTP (support/generatedClientFlow.ts): a group room, a member added, a send with client_id, a reply,
// an edit, a reaction, mark read, history paged by cursor, an upload sent as an attachment, and one refusal
// of each kind a client handles (400, 401, 403, 404, 409, 412, 413, 415, 422, 429 and 503 with PostgreSQL
// cut), each read as the problem code the generated types list. The flow is compiled with the generated
// client by `tsc --strict` first, so a document that drifts from it fails here. The contract hook of the
// test app checks every answer against the same document meanwhile.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateApi } from 'swagger-typescript-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.ts';
import { mintToken } from '../support/tokens.ts';
import { pngHeader } from './support/imageHeaders.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const run = promisify(execFile);

let database: TcpProxy;
let t: TestApp;
let dir: string;
let setup: FlowSetup;

/** what support/generatedClientFlow.ts takes (that file compiles only beside the generated client) */
type FlowSetup = {
  baseUrl: string;
  tokenFor(userId: string, username: string): Promise<string>;
  png(width: number, height: number): Uint8Array<ArrayBuffer>;
  cutDatabase(): Promise<void>;
  restoreDatabase(): Promise<void>;
};

beforeAll(async () => {
  database = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
  t = await startTestApp('generated_client', {}, {}, { through: { database } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  setup = {
    baseUrl,
    tokenFor: (userId, username) => mintToken(userId, { claims: { username } }),
    png: (width, height) => new Uint8Array(pngHeader(width, height)),
    cutDatabase: () => database.cut(),
    restoreDatabase: () => database.restore(),
  };
  const document = await (await fetch(`${baseUrl}/openapi.json`)).json();
  // inside the project, so that the generated module resolves nothing outside it and vitest transforms it
  dir = await mkdtemp(join(import.meta.dirname, '.generated-client-'));
  await generateApi({
    spec: document,
    output: dir,
    fileName: 'chatApi.ts',
    httpClientType: 'fetch',
    moduleNameFirstTag: true,
    silent: true,
  });
  // beside the generated module it imports (and is compiled with)
  await copyFile(join(import.meta.dirname, 'support/generatedClientFlow.ts'), join(dir, 'flow.ts'));
});

afterAll(async () => {
  await t?.stop();
  await database?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a client generated from /openapi.json', () => {
  it('is valid strict TypeScript, and so is the flow written against its types', async () => {
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          lib: ['es2022', 'dom'],
          types: [],
          allowImportingTsExtensions: true,
        },
        files: ['chatApi.ts', 'flow.ts'],
      }),
    );
    const tsc = join(import.meta.dirname, '../../node_modules/.bin/tsc');
    const compiled = await run(tsc, ['-p', join(dir, 'tsconfig.json')]).then(
      () => '',
      (failure: { stdout: string }) => failure.stdout,
    );
    expect(compiled).toBe('');
  });

  it('drives a whole conversation, and reads each kind of refusal', async () => {
    const flow = (await import(join(dir, 'flow.ts'))) as { runFlow(setup: FlowSetup): Promise<void> };
    await flow.runFlow(setup);
  });
});
