// The sockets' AsyncAPI document (generated from the frame contract: src/contract/asyncApi.ts) at
// /asyncapi.json, and a page of it at /docs/asyncapi beside Swagger UI's /docs. The page is rendered
// here, as plain HTML under the /docs CSP: no script, a stylesheet of its own, each frame's schema in a
// <details> the browser opens without help.
import fp from 'fastify-plugin';
import { buildAsyncApiDocument, SOCKET_FRAMES, type SocketKind } from '../../contract/asyncApi.ts';
import { CLOSE } from '../../contract/closeCodes.ts';
import { DOCS_CSP } from '../../http/responseHeaders.ts';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type MessageObject = { name: string; summary: string; payload: { $ref: string } };

const STYLESHEET = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f6f6f6;padding:.75rem;overflow:auto}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
.frame{border-top:1px solid #ddd;padding:.4rem 0}.frame h4{margin:.2rem 0;font-family:ui-monospace,monospace}
nav a{margin-right:1rem}`;

function renderPage(document: ReturnType<typeof buildAsyncApiDocument>): string {
  const components = document.components as {
    messages: Record<string, MessageObject>;
    schemas: Record<string, unknown>;
  };
  const channels = document.channels as Record<SocketKind, { address: string; description: string }>;
  const frame = (id: string) => {
    const message = components.messages[id]!;
    const schemaId = message.payload.$ref.split('/').pop()!;
    return `<div class="frame" id="${escapeHtml(id)}"><h4>${escapeHtml(message.name)}</h4><p>${escapeHtml(message.summary)}</p>
<details><summary>payload schema</summary><pre>${escapeHtml(JSON.stringify(components.schemas[schemaId], null, 2))}</pre></details></div>`;
  };
  const socket = (kind: SocketKind) => `<h2>${escapeHtml(channels[kind].address)}</h2>
<p>${escapeHtml(channels[kind].description)}</p>
<h3>client → server</h3>${SOCKET_FRAMES[kind].receives.map(frame).join('\n')}
<h3>server → client</h3>${SOCKET_FRAMES[kind].sends.map(frame).join('\n')}`;
  const closeRows = Object.entries(CLOSE)
    .map(([name, code]) => `<tr><td>${code}</td><td>${escapeHtml(name)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chat WebSocket API (AsyncAPI)</title>
<link rel="stylesheet" href="/docs/asyncapi.css"></head>
<body><nav><a href="/docs/">REST (OpenAPI)</a><a href="/asyncapi.json">asyncapi.json</a></nav>
<h1>Chat WebSocket API</h1>
<p>AsyncAPI ${escapeHtml(String(document.asyncapi))}, generated from the frame contract. Authenticate with
<code>?token=</code>, the subprotocol pair <code>bearer, &lt;token&gt;</code> or an <code>authenticate</code>
frame; resume with the last <code>seq</code> per room.</p>
<h2>Close codes</h2><table><tr><th>code</th><th>name</th></tr>${closeRows}</table>
${socket('roomSocket')}
${socket('userSocket')}
</body></html>`;
}

export const asyncApiPlugin = fp(
  async (fastify) => {
    const document = buildAsyncApiDocument();
    const page = renderPage(document);
    fastify.get('/asyncapi.json', { schema: { hide: true } }, async (request) => ({
      ...document,
      servers: { chat: { ...(document.servers as { chat: object }).chat, host: request.host } },
    }));
    fastify.get('/docs/asyncapi', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-security-policy', DOCS_CSP).type('text/html; charset=utf-8').send(page),
    );
    fastify.get('/docs/asyncapi.css', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/css; charset=utf-8').send(STYLESHEET),
    );
  },
  { name: 'asyncapi', dependencies: ['openapi'] },
);
