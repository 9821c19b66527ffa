import type { Fault } from '../fault.ts';
import { isRunning, pickVictim } from './pick-victim.ts';

export interface ConsumerCrashOptions {
  /** Which kind of worker; defaults to `payments`, the slow step, so the victim holds unacked messages. */
  role?: string;
  /** A particular instance (e.g. `payments-2`) instead of a seeded random one of the role. */
  instance?: string;
}

/** A worker crashes mid-processing: SIGKILL, so its unacked deliveries go back to the queue; healing restarts it. */
export function consumerCrash(options: ConsumerCrashOptions = {}): Fault {
  const role = options.role ?? 'payments';
  let victim: string | undefined;
  return {
    name: 'consumer-crash',
    description: `SIGKILL a ${options.instance ?? `${role} worker`} while it is processing (its unacked messages must be redelivered), then restart it`,
    async start(env) {
      const chosen = pickVictim(env, 'consumer-crash', role, options.instance);
      victim = chosen.instance;
      env.log(`consumer-crash: SIGKILL ${chosen.instance} (pid ${chosen.pid ?? '?'})`);
      await env.processes.kill(chosen.instance);
    },
    async stop(env) {
      const instance = victim;
      if (instance === undefined) return;
      if (!isRunning(env, instance)) {
        await env.processes.start(instance);
        env.log(`consumer-crash: ${instance} restarted`);
      }
      victim = undefined;
    },
  };
}
