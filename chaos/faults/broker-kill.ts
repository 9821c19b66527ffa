import type { Fault } from '../fault.ts';

/** Broker crash: SIGKILL, so whatever was not yet on disk is gone; later it boots on the same data. */
export function brokerKill(): Fault {
  return {
    name: 'broker-kill',
    traits: ['crashes-broker', 'cuts-connections'],
    description: 'SIGKILL the broker (no flush, no goodbye to clients), then start it again on the same data',
    start: (env) => env.broker.kill(),
    stop: async (env) => {
      if (!env.broker.running) await env.broker.start();
    },
    healLeadSeconds: (env) => env.broker.lastBootSeconds ?? 0,
  };
}
