/**
 * Faults, Jepsen-nemesis style: each is a small package of `start` (break something) and `stop`
 * (heal it; always safe to call, also when start failed half-way), plus a description for people
 * and graphs. Faults reach the world only through the controls in `FaultEnv`, which the harness
 * implements, so this folder imports nothing from the harness.
 */

/** Control over the broker node under test. */
export interface BrokerControl {
  /** Graceful stop: connections are closed, queues flushed. Resolves once the node has exited. */
  stop(): Promise<void>;
  /** SIGKILL: resolves once the node is gone. */
  kill(): Promise<void>;
  /** Boots the node on the same data; resolves once it accepts AMQP logins. */
  start(): Promise<void>;
  readonly running: boolean;
  /** rabbitmqctl against the node, e.g. to raise a resource alarm. */
  ctl(...args: string[]): Promise<string>;
}

export interface FaultEnv {
  broker: BrokerControl;
  /** Seeded randomness for faults that pick a victim or a value; same seed, same choices. */
  random: () => number;
  /** A line for the run's log, e.g. which instance was killed. */
  log(message: string): void;
}

export interface Fault {
  /** Short identifier shown in status lines and results, e.g. `broker-restart`. */
  name: string;
  /** What it does, in a sentence a person understands. */
  description: string;
  start(env: FaultEnv): Promise<void>;
  /** Heals. Must leave the system able to recover, whatever state start left it in. */
  stop(env: FaultEnv): Promise<void>;
}

/** A fault placed on the run's timeline (seconds from the start of the load). */
export interface ScheduledFault {
  at: number;
  /** How long the fault lasts once started; heal happens at `at + duration` or when start finished, whichever is later. */
  duration: number;
  fault: Fault;
}
