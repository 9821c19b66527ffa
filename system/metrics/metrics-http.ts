import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SystemMetrics } from './system-metrics.ts';

export const METRICS_PATH = '/metrics';

/** An `extraRoutes` handler serving `GET /metrics`; answers false for every other path. */
export function metricsRoute(metrics: SystemMetrics): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain' });
      res.end(`expected GET ${METRICS_PATH}\n`);
      return true;
    }
    const { contentType, body } = await metrics.expose();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A worker's own /metrics endpoint (workers have no other HTTP server). Port 0 = any free port. */
export async function startMetricsServer(metrics: SystemMetrics, host: string, port: number): Promise<MetricsServer> {
  const route = metricsRoute(metrics);
  const server: Server = createServer((req, res) => {
    route(req, res)
      .then((served) => {
        if (served) return;
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`no route for ${req.method} ${req.url}; expected GET ${METRICS_PATH}\n`);
      })
      .catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`metrics failed: ${err.message}\n`);
      });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
