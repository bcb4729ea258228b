// A tiny HTTP client over app.inject() acting as one user: JSON in, status + JSON out.
import type { App } from '../../../src/app.ts';
import { authFor } from './testApp.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field and assert each
export type Answer = { status: number; body: any; headers: Record<string, unknown> };

export type UserClient = {
  userId: string;
  get(url: string): Promise<Answer>;
  post(url: string, body?: unknown): Promise<Answer>;
  patch(url: string, body: unknown, headers?: Record<string, string>): Promise<Answer>;
  put(url: string, body: unknown): Promise<Answer>;
  delete(url: string, body?: unknown): Promise<Answer>;
};

export async function clientFor(
  app: App,
  userId: string,
  claims: Record<string, unknown> = {},
): Promise<UserClient> {
  const headers = await authFor(userId, claims);
  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ) => {
    const response = await app.inject({
      method,
      url,
      headers: { ...headers, ...extraHeaders },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const text = response.body;
    return {
      status: response.statusCode,
      body: text && response.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : text,
      headers: response.headers,
    };
  };
  return {
    userId,
    get: (url) => call('GET', url),
    post: (url, body) => call('POST', url, body),
    patch: (url, body, extraHeaders) => call('PATCH', url, body, extraHeaders),
    put: (url, body) => call('PUT', url, body),
    delete: (url, body) => call('DELETE', url, body),
  };
}
