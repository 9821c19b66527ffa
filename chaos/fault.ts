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
  /** How long its last start took, from spawn to AMQP logins (undefined before the first). */
  readonly lastBootSeconds?: number;
  /** rabbitmqctl against the node, e.g. to raise a resource alarm. */
  ctl(...args: string[]): Promise<string>;
}

/** Toxiproxy's toxic types (see shared/reference/TOXIPROXY.md for what each does). */
export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';
/** `upstream` is client to broker, `downstream` broker to client. */
export type ToxicStream = 'upstream' | 'downstream';
export const TOXIC_STREAMS: readonly ToxicStream[] = ['upstream', 'downstream'];

export interface ToxicSpec {
  /** Defaults to `<type>_<stream>`, as in Toxiproxy. */
  name?: string;
  type: ToxicType;
  stream: ToxicStream;
  /** Probability (0-1) that a connection is affected; defaults to 1. */
  toxicity?: number;
  attributes: Readonly<Record<string, number>>;
}

/** One TCP proxy between the system and the broker (a Toxiproxy proxy). */
export interface ProxyControl {
  readonly name: string;
  /** Adds a toxic (live connections included); resolves to its name. */
  addToxic(spec: ToxicSpec): Promise<string>;
  /** Removes the toxic; a toxic that is not there is not an error, so heals can repeat. */
  removeToxic(name: string): Promise<void>;
  /** Closes every live connection and refuses new ones until enabled. */
  disable(): Promise<void>;
  enable(): Promise<void>;
  /** Removes every toxic of this proxy and enables it. */
  reset(): Promise<void>;
}

/** The two proxies: the system's publishing connections go through one, its consuming ones through the other. */
export interface ProxyControls {
  producer: ProxyControl;
  consumer: ProxyControl;
}

/** One OS process of the system under test, as the fault sees it. */
export interface ProcessInfo {
  instance: string;
  role: string;
  running: boolean;
  /** Frozen by SIGSTOP. */
  paused: boolean;
  pid?: number;
}

/** Control over the system's own processes (API and worker instances), by instance name. */
export interface ProcessControl {
  list(): ProcessInfo[];
  /** SIGKILL; resolves once the process is gone. */
  kill(instance: string): Promise<void>;
  /** Starts a stopped or killed instance again; resolves once it reports ready. */
  start(instance: string): Promise<void>;
  /** SIGSTOP: frozen with its connections open. */
  pause(instance: string): Promise<void>;
  /** SIGCONT. */
  resume(instance: string): Promise<void>;
}

/** One node of a cluster the run owns: a broker of its own, under its node name. */
export interface ClusterNodeControl extends BrokerControl {
  readonly name: string;
}

/** A partition in effect; healing removes exactly what made it. */
export interface PartitionHandle {
  heal(): Promise<void>;
}

/** Control over a cluster of broker nodes, each in its own network namespace (harness/env/rabbitmq-cluster.ts). */
export interface ClusterControl {
  readonly nodes: readonly ClusterNodeControl[];
  /** Drops traffic between nodes on different sides (named by node), both ways or from the first side only. */
  partition(sides: readonly (readonly string[])[], options?: { oneWay?: boolean }): Promise<PartitionHandle>;
  /** The node holding the leader of a quorum queue, read from the management API; undefined when none does. */
  leaderOf(queue: string): Promise<string | undefined>;
  /** Every quorum queue's leader (queue name to node name), as the first node that answers sees it. */
  leaders(): Promise<Map<string, string>>;
  /** Resolves once every node runs and sees all the others running; throws after `timeoutMs` (default: the cluster's formation timeout). */
  waitUntilWhole(timeoutMs?: number): Promise<void>;
  /** Resolves once every other running node sees `node` as not running (a partition noticed); throws after the cluster's timeout. */
  waitUntilSeenDown(node: string): Promise<void>;
}

export interface FaultEnv {
  broker: BrokerControl;
  /** Present when the run owns a cluster (`--cluster`); cluster faults need it. */
  cluster?: ClusterControl;
  proxies: ProxyControls;
  processes: ProcessControl;
  /** Seeded randomness for faults that pick a victim or a value; same seed, same choices. */
  random: () => number;
  /** A line for the run's log, e.g. which instance was killed. */
  log(message: string): void;
}

/**
 * What a fault does, as checkers may need to know it (they read the traits the fault schedule writes
 * into the history, never a fault's name): a new fault declares its traits and every checker
 * treats it right without being told its name.
 */
export type FaultTrait =
  /** The broker dies without a clean shutdown: a publish not yet confirmed may be lost, rightly. */
  | 'crashes-broker'
  /** The broker stops cleanly and starts again: everything confirmed must survive. */
  | 'stops-broker'
  /** Connections are closed or reset: clients must notice and reconnect. */
  | 'cuts-connections'
  /** Bytes vanish while connections stay open: only heartbeats can notice. */
  | 'silences-connections'
  /** Bytes arrive late or slowly. */
  | 'slows-network'
  /** A process of the system is SIGKILLed (and restarted on heal). */
  | 'kills-process'
  /** A process of the system is SIGSTOPped (and continued on heal). */
  | 'freezes-process'
  /** The broker blocks publishing connections (a resource alarm). */
  | 'blocks-publishers'
  /** Nodes of a cluster cannot reach each other (a minority pauses): clients on that side must fail over. */
  | 'partitions-cluster'
  /** One cluster node is gone (down or cut off) while the others keep a quorum: the system must keep serving. */
  | 'loses-one-node'
  /** Which side of the system a network fault touches. */
  | 'producer-side'
  | 'consumer-side';

export interface Fault {
  /** Short identifier shown in status lines and results, e.g. `broker-restart`. */
  name: string;
  /** What it does, for checkers (see FaultTrait). */
  traits: readonly FaultTrait[];
  /** What it does, in a sentence a person understands. */
  description: string;
  start(env: FaultEnv): Promise<void>;
  /** Heals. Must leave the system able to recover, whatever state start left it in. */
  stop(env: FaultEnv): Promise<void>;
  /**
   * How long its heal takes to take effect (a broker boots for seconds before it accepts a login):
   * the schedule begins the heal that much before the planned end, never before the fault is in
   * effect, so the system is whole again when the schedule says. Zero when absent.
   */
  healLeadSeconds?(env: FaultEnv): number;
}

/** A fault placed on the run's timeline (seconds from the start of the load). */
export interface ScheduledFault {
  /** When its start begins, or later: a fault waits for every fault scheduled to end by then to have healed, so the two never overlap. */
  at: number;
  /**
   * How long it stays in effect, counted from when its start finished (a slow start does not
   * shorten it) to when its heal has taken effect (see Fault.healLeadSeconds); a fault whose start
   * failed heals at once.
   */
  duration: number;
  fault: Fault;
}
