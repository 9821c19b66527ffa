import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startPublishing } from '../amqp/publishing.ts';
import { metricsRoute } from '../metrics/metrics-http.ts';
import { systemMetrics } from '../metrics/system-metrics.ts';
import type { ProcessRuntime } from '../process-runtime.ts';
import { OrdersStore } from '../stores/orders-store.ts';
import { createOrdersApi } from './orders-api.ts';

/** Runs the API process: publishing connection, orders store, HTTP server (with /metrics) on listenHost (127.0.0.1 by default). */
export async function runApi(runtime: ProcessRuntime): Promise<void> {
  const { config } = runtime;
  const publisher = await startPublishing(runtime);
  const store = new OrdersStore(config.dataDir);
  const server = createOrdersApi({
    publisher,
    store,
    instance: config.instance,
    confirmTimeoutMs: config.confirmTimeoutMs,
    extraRoutes: metricsRoute(systemMetrics()),
  });
  server.keepAliveTimeout = 30_000;
  server.listen(config.httpPort, config.listenHost);
  await once(server, 'listening');
  runtime.onStop(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  );
  const { port } = server.address() as AddressInfo;
  runtime.ready({ httpPort: port, metricsPort: port });
}
