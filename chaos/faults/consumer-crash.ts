import type { Fault } from '../fault.ts';
import { killAndRestart } from './kill-and-restart.ts';
import { ANY_CONSUMER } from './pick-victim.ts';

export interface ConsumerCrashOptions {
  /** Which kind of worker (the reference's slow step is `payments`); without one, any consumer of the target (seeded choice). */
  role?: string;
  /** A particular instance (e.g. `payments-2`) instead of a seeded random one of the role. */
  instance?: string;
}

/** A worker crashes mid-processing: SIGKILL, so its unacked deliveries go back to the queue; healing restarts it. */
export function consumerCrash(options: ConsumerCrashOptions = {}): Fault {
  const role = options.role ?? ANY_CONSUMER;
  const what = options.instance ?? (options.role ? `${options.role} worker` : 'consumer');
  return killAndRestart({
    name: 'consumer-crash',
    description: `SIGKILL a ${what} while it is processing (its unacked messages must be redelivered), then restart it`,
    role,
    ...(options.instance ? { instance: options.instance } : {}),
  });
}
