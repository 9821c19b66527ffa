import type { SystemProcessConfig } from '../config.ts';
import type { ProcessRuntime } from '../process-runtime.ts';
import { openManagedConnection } from './managed-connection.ts';
import { Publisher } from './publisher.ts';
import type { TopologyOptions } from './topology.ts';

/** The process's publishing side: its own connection (through the producer-side proxy) and publisher. */
export async function startPublishing(runtime: ProcessRuntime): Promise<Publisher> {
  const { config, history } = runtime;
  const flaws = new Set(config.flaws);
  const publisher = new Publisher({
    history,
    confirms: !flaws.has('no-confirms'),
    persistent: !flaws.has('transient'),
    confirmTimeoutMs: config.confirmTimeoutMs,
    renewChannelOnNack: config.cluster,
  });
  const connection = await openManagedConnection({
    url: config.publishUrls.length ? config.publishUrls : config.publishUrl,
    name: `${config.instance} publish`,
    heartbeatSeconds: config.heartbeatSeconds,
    flaws: config.flaws,
    history,
    setup: (model) => publisher.attach(model, topologyOptions(config)),
    onDisconnect: () => publisher.detach(),
  });
  runtime.onStop(() => connection.close());
  return publisher;
}

/**
 * The topology every process of this system declares: the same everywhere, or the broker refuses
 * the redeclaration. Quorum queues on a cluster, except with `classic-in-cluster` (the flaw) and
 * with `transient`: a quorum queue is always durable (RabbitMQ refuses a non-durable one), so the
 * transient flaw keeps classic non-durable queues on a cluster too, and stays the defect it names.
 */
export function topologyOptions(config: SystemProcessConfig): TopologyOptions {
  const durableQueues = !config.flaws.includes('transient');
  const quorum = config.cluster && durableQueues && !config.flaws.includes('classic-in-cluster');
  return { durableQueues, deadLetterExchange: !config.flaws.includes('no-dlx'), queueType: quorum ? 'quorum' : 'classic' };
}
