import type { Fault } from '../fault.ts';

/** Graceful broker restart: RabbitMQ closes every connection and stops; later it boots on the same data. */
export function brokerRestart(): Fault {
  return {
    name: 'broker-restart',
    traits: ['stops-broker', 'cuts-connections'],
    description: 'stop the broker gracefully (connections closed, queues flushed), then start it again on the same data',
    start: (env) => env.broker.stop(),
    stop: async (env) => {
      if (!env.broker.running) await env.broker.start();
    },
    healLeadSeconds: (env) => env.broker.lastBootSeconds ?? 0,
  };
}
