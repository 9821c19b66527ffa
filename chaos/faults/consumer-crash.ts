import type { Fault } from '../fault.ts';
import { killAndRestart } from './kill-and-restart.ts';

export interface ConsumerCrashOptions {
  /** Which kind of worker; defaults to `payments`, the slow step, so the victim holds unacked messages. */
  role?: string;
  /** A particular instance (e.g. `payments-2`) instead of a seeded random one of the role. */
  instance?: string;
}

/** A worker crashes mid-processing: SIGKILL, so its unacked deliveries go back to the queue; healing restarts it. */
export function consumerCrash(options: ConsumerCrashOptions = {}): Fault {
  const role = options.role ?? 'payments';
  return killAndRestart({
    name: 'consumer-crash',
    description: `SIGKILL a ${options.instance ?? `${role} worker`} while it is processing (its unacked messages must be redelivered), then restart it`,
    role,
    ...(options.instance ? { instance: options.instance } : {}),
  });
}
