// Prometheus /metrics: HTTP latency by route (an onResponse hook on every route), the Node runtime, the
// PostgreSQL pools, projection lag (read at scrape time), and what the other modules count
// (src/metrics/metrics.ts), summed with the projector thread's share. Served behind the ops role on the
// service's own port, or, with METRICS_PORT set, on a port of its own without authentication (bound to
// METRICS_HOST, 127.0.0.1 by default: for a Prometheus on the same host or network, never the internet).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fp from 'fastify-plugin';
import { AggregatorRegistry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../config.ts';
import {
  gaugeReadAtScrape,
  httpRequestSeconds,
  metricSources,
  observePool,
  registry,
} from '../../metrics/metrics.ts';
import { projectionStatus } from '../../projections/projectionStatus.ts';
import { PROJECTIONS } from '../../projections/registry.ts';
import { notFound } from '../problems.ts';
import { authenticate } from './auth.ts';

let runtimeObserved = false;

/** The exposition text: this thread's metrics and every source's (the projector thread), summed. */
export async function renderMetrics(): Promise<{ contentType: string; text: string }> {
  const parts = await Promise.all([
    registry.getMetricsAsJSON(),
    ...metricSources().map((source) => source().catch(() => [])),
  ]);
  const merged = AggregatorRegistry.aggregate(parts);
  return { contentType: registry.contentType, text: await merged.metrics() };
}

export const metricsPlugin = fp<{ config: Config }>(
  async (fastify, { config }) => {
    if (!runtimeObserved) {
      collectDefaultMetrics({ register: registry });
      runtimeObserved = true;
    }
    observePool('app', fastify.pg);
    gaugeReadAtScrape(
      'chat_projection_lag_events',
      'events in the store the projection has not projected yet, by projection',
      ['projection'],
      async () =>
        (await projectionStatus(fastify.pg, fastify.eventStore, PROJECTIONS)).map((status) => ({
          labels: { projection: status.name },
          value: status.lag,
        })),
    );

    fastify.addHook('onResponse', async (request, reply) => {
      // the route's template, never the path: ids stay out of the labels
      const route = request.routeOptions.url ?? 'unmatched';
      httpRequestSeconds.observe(
        { method: request.method, route, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });

    if (config.METRICS_PORT === undefined) {
      fastify.get(
        '/metrics',
        {
          schema: { hide: true },
          onRequest: authenticate,
          preHandler: async (request) => {
            if (!request.user.roles.includes('ops')) throw notFound('Resource');
          },
        },
        async (_request, reply) => {
          const { contentType, text } = await renderMetrics();
          return reply.type(contentType).send(text);
        },
      );
      return;
    }

    const server: Server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      renderMetrics().then(
        ({ contentType, text }) => response.writeHead(200, { 'content-type': contentType }).end(text),
        (error: unknown) => {
          fastify.log.error({ err: error }, 'metrics could not be collected');
          response.writeHead(500).end();
        },
      );
    });
    fastify.addHook('onReady', async () => {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.METRICS_PORT, config.METRICS_HOST, () => resolve());
      });
      const { address, port } = server.address() as AddressInfo;
      fastify.log.info({ url: `http://${address}:${port}/metrics` }, 'metrics listening');
    });
    fastify.addHook('onClose', async () => {
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    });
  },
  { name: 'metrics', dependencies: ['infrastructure', 'auth'] },
);
