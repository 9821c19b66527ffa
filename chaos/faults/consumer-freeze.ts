import type { Fault } from '../fault.ts';
import { ANY_CONSUMER, pickVictim } from './pick-victim.ts';

export interface ConsumerFreezeOptions {
  /** Which kind of worker; without one, any consumer of the target (seeded choice). */
  role?: string;
  /** A particular instance instead of a seeded random one of the role. */
  instance?: string;
}

/**
 * A hung worker: SIGSTOP freezes it with its connections open and its prefetched messages unacked;
 * only the broker's heartbeat timeout frees them. Healing (SIGCONT) lets it discover what happened.
 */
export function consumerFreeze(options: ConsumerFreezeOptions = {}): Fault {
  const role = options.role ?? ANY_CONSUMER;
  const what = options.instance ?? (options.role ? `${options.role} worker` : 'consumer');
  let victim: string | undefined;
  return {
    name: 'consumer-freeze',
    traits: ['freezes-process'],
    description: `freeze (SIGSTOP) a ${what} with its connections open and messages unacked, then thaw it (SIGCONT)`,
    async start(env) {
      const chosen = pickVictim(env, 'consumer-freeze', role, options.instance);
      victim = chosen.instance;
      env.log(`consumer-freeze: SIGSTOP ${chosen.instance} (pid ${chosen.pid ?? '?'})`);
      await env.processes.pause(chosen.instance);
    },
    async stop(env) {
      const instance = victim;
      if (instance === undefined) return;
      await env.processes.resume(instance);
      victim = undefined;
    },
  };
}
