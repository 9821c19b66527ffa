import type { Fault } from '../fault.ts';
import { pickVictim } from './pick-victim.ts';

export interface ConsumerFreezeOptions {
  /** Which kind of worker; defaults to `payments`. */
  role?: string;
  /** A particular instance instead of a seeded random one of the role. */
  instance?: string;
}

/**
 * A hung worker: SIGSTOP freezes it with its connections open and its prefetched messages unacked;
 * only the broker's heartbeat timeout frees them. Healing (SIGCONT) lets it discover what happened.
 */
export function consumerFreeze(options: ConsumerFreezeOptions = {}): Fault {
  const role = options.role ?? 'payments';
  let victim: string | undefined;
  return {
    name: 'consumer-freeze',
    traits: ['freezes-process'],
    description: `freeze (SIGSTOP) a ${options.instance ?? `${role} worker`} with its connections open and messages unacked, then thaw it (SIGCONT)`,
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
