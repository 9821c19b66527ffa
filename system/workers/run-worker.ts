import { Consumer, type QueueHandler } from '../amqp/consumer.ts';
import { openManagedConnection } from '../amqp/managed-connection.ts';
import { startPublishing, topologyOptions } from '../amqp/publishing.ts';
import { assertTopology } from '../amqp/topology.ts';
import { startMetricsServer } from '../metrics/metrics-http.ts';
import { systemMetrics } from '../metrics/system-metrics.ts';
import { GRACEFUL_STOP_MS, type ProcessRuntime } from '../process-runtime.ts';

/** The article's "consumer gets 1000 messages at once" (the `prefetch-unbounded` flaw). */
export const UNBOUNDED_PREFETCH = 1_000;

/**
 * Runs one worker instance: a publishing connection for downstream messages and a separate
 * consuming connection (RabbitMQ throttles publishing connections under alarms; acks must not
 * wait behind them), both recovering by themselves.
 */
export async function runWorker(runtime: ProcessRuntime, handlers: (runtime: ProcessRuntime) => QueueHandler[]): Promise<void> {
  const { config, history } = runtime;
  // Serving before connecting: a worker that cannot reach the broker still shows it in its metrics.
  const metricsServer = await startMetricsServer(systemMetrics(), config.listenHost, config.metricsPort);
  runtime.onStop(() => metricsServer.close());
  const publisher = await startPublishing(runtime);
  let recycle = () => {};
  const consumer = new Consumer({
    instance: config.instance,
    history,
    publisher,
    handlers: handlers(runtime),
    prefetch: config.flaws.includes('prefetch-unbounded') ? UNBOUNDED_PREFETCH : config.prefetch,
    autoAck: config.flaws.includes('auto-ack'),
    timerRetry: config.flaws.includes('timer-retry'),
    dropMalformed: config.flaws.includes('drop-malformed'),
    processingMs: config.processingMs,
    concurrency: config.concurrency,
    onChannelLost: () => recycle(),
  });
  const connection = await openManagedConnection({
    url: config.consumeUrls.length ? config.consumeUrls : config.consumeUrl,
    name: `${config.instance} consume`,
    heartbeatSeconds: config.heartbeatSeconds,
    flaws: config.flaws,
    history,
    setup: async (model) => {
      const channel = await model.createChannel();
      await assertTopology(channel, topologyOptions(config));
      await channel.close();
      await consumer.attach(model);
    },
    onDisconnect: () => consumer.detach(),
  });
  recycle = () => connection.recycle();
  // Registered last so it runs first: finish in-flight work while both connections are still up.
  runtime.onStop(() => connection.close());
  runtime.onStop(() => consumer.stop(GRACEFUL_STOP_MS));
  runtime.ready({ metricsPort: metricsServer.port });
}
