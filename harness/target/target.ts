/**
 * The system under test, as the harness sees it: a plug-in. Interfaces only (no implementation
 * imports), so a target can be written against this file alone. The reference order system is one
 * target (system/target.ts); a black-box system started as plain commands is another
 * (harness/target/black-box-target.ts, described by a target.json such as examples/plain-orders/).
 *
 * Jepsen's rule holds: checkers judge the history and what the target declares here, never the
 * concrete system behind it.
 */

/** Where the target's processes reach the broker: through the proxy on each side, or directly. */
export interface TargetEndpoints {
  /** AMQP URL for connections that publish (the proxy's producer side). */
  publishUrl: string;
  /** AMQP URL for connections that consume (the proxy's consumer side). */
  consumeUrl: string;
  /** The broker itself, no proxy: for what no fault should touch (e.g. the harness's own reads). */
  directUrl: string;
  /**
   * With a cluster (`--cluster N`): one URL per node, each through that node's own proxy, in node
   * order; the first is `publishUrl` / `consumeUrl`. A client that fails over moves along these
   * lists. Absent on a single broker.
   */
  publishUrls?: readonly string[];
  consumeUrls?: readonly string[];
}

/** The cluster a run owns, as a target sees it (absent on a single broker). */
export interface TargetCluster {
  nodes: number;
}

/** What a target gets to decide how to start. */
export interface TargetStartContext {
  runDir: string;
  /** Where the target's processes write history files (one JSON-lines file per process). */
  historyDir: string;
  /** Where the target may keep its stores. */
  dataDir: string;
  endpoints: TargetEndpoints;
  /** Present when the broker is a cluster: a target may then choose replicated queues (the reference uses quorum queues). */
  cluster?: TargetCluster;
  /** Flaws planted for this run, by name (each one of `Target.flaws`). */
  flaws: readonly string[];
  /** A scenario's changes to the target's shape (instances, speeds, prefetch), as the target understands them. */
  settings: Readonly<Record<string, unknown>>;
}

/**
 * One OS process of the target. The harness starts it (with a lifeline so it dies with the
 * harness), records its PID, and is the one that kills, pauses and restarts it for process faults.
 */
export interface TargetProcessSpec {
  /** Unique in the run, e.g. `payments-2`; names the log and history files. */
  instance: string;
  /** What process faults pick victims by: `api` (takes requests), or the consuming stage's name. */
  role: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /**
   * When the process is ready: `json-line` waits for a stdout line `{"ready":true,...}` (may carry
   * `httpPort`, `metricsPort`); `http` polls `url` until it answers 2xx.
   */
  ready: { kind: 'json-line' } | { kind: 'http'; url: string };
  /**
   * Serves the target's readback and holds no broker connection: it keeps running through the final
   * read (which stops the API and the consumers), until the harness has read what the target processed.
   */
  servesReadback?: boolean;
  /** Restarted processes must keep their ports: the env given here is reused as is on a restart. */
}

/**
 * The workload, as data (it crosses into the load generator's worker thread): one HTTP request
 * per order, and how to read its answer.
 */
export interface HttpWorkload {
  /** Path appended to the target's base URL, e.g. `/orders`. */
  path: string;
  /**
   * What the body looks like: `reference-order` (load/order-body.ts, with intents such as poison
   * orders), or `id-only` (`{"id": "<order id>"}`: a black-box system is asked to process ids).
   */
  body: 'reference-order' | 'id-only';
  /** Statuses meaning "accepted: the system promises to process it". */
  okStatuses: readonly number[];
  /** Statuses meaning "certainly not accepted" (e.g. 503 while the broker is away). Anything else, or no answer, is in doubt. */
  refusedStatuses: readonly number[];
}

/**
 * The declared topology: what checkers are generic over. Queues the target's consumers work on,
 * which publishes lead where, and what retries and dead letters look like.
 */
export interface DeclaredTopology {
  /** Queues consumed as pipeline stages, in pipeline order. */
  workQueues: readonly string[];
  /** Queues whose loss is allowed (an audit tap that may overflow), with their max length when bounded. */
  bestEffortQueues: readonly string[];
  boundedQueues: Readonly<Record<string, number>>;
  deadLetterQueue?: string;
  /** The delay queues a work queue retries through, in order. */
  retryQueues(workQueue: string): readonly string[];
  /** The work queue a retry queue feeds back into, if `queue` is one. */
  retryTarget(queue: string): string | undefined;
  /** Which queues a publish to `exchange` with `routingKey` lands in. */
  routesTo(exchange: string, routingKey: string): readonly string[];
  /** Retries before a message is dead-lettered as poison. */
  maxRetries: number;
  /** `handled` effects that end an order, by how it ended (absent: no order ever ends in the history). */
  terminalEffects?: { completed: readonly string[]; failed: readonly string[] };
  /** How a message sent with a `poison` or `expire` intent must die (absent: such intents are not part of the target's workload). */
  intentDeaths?: Readonly<Partial<Record<'poison' | 'expire', IntentDeath>>>;
  /** Which queues each process role consumes (`payments` -> [`payment.process`]): a configured consumer that got nothing still counts. */
  queuesByRole?: Readonly<Record<string, readonly string[]>>;
  /** The prefetch every consumer uses unless the run's settings say otherwise. */
  defaultPrefetch?: number;
}

export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** How a message sent with an intent must die: in which queue, with which reason, after how many broker-side retries. */
export interface IntentDeath {
  queue: string;
  reason: DeadLetterReason;
  retries: number;
}

/** One effect of an order, read back from the target's stores after the run. */
export interface EffectRow {
  orderId: string;
  /** The effect's kind, e.g. `payment`, `reservation`, `notification`, `order-status:paid`. */
  kind: string;
  /** How many times the store holds it (an exactly-once effect must be 1). */
  count: number;
}

export interface TargetEffects {
  rows: readonly EffectRow[];
  /** Effect kinds every completed order must have exactly once. */
  requiredKinds: readonly string[];
  /** Orders the target stored as accepted (its own record of what it promised). */
  storedOrders?: readonly string[];
  /** Effect kinds every failed order must have exactly once. */
  requiredWhenFailed?: readonly string[];
  /** Effect kinds a completed order must not have (e.g. a refused reservation). */
  forbiddenWhenCompleted?: readonly string[];
  /** Effect kinds a failed order must not have (e.g. reserved stock). */
  forbiddenWhenFailed?: readonly string[];
  /** Pairs of kinds a finished order has both or neither of (a charge and its notification). */
  together?: readonly (readonly [string, string])[];
  /** Kinds that record where an order stands, not work done: an unfinished order holding only these is not partial. */
  bookkeepingKinds?: readonly string[];
  /** Rules the target checks over its own stores that no single order carries (stock conservation), with what broke them. */
  invariants?: readonly EffectInvariant[];
  /** Stores that were absent or unreadable: the effects cannot be vouched for (violations found elsewhere still count). */
  unreadable?: readonly string[];
  /**
   * The target's own record of dead letters, one row per (message, queue) with the reason first
   * seen; absent when it keeps none (or could not read it: see `unreadable`).
   */
  deadLetters?: readonly { messageId: string; queue: string; reason: string }[];
  /** Why the dead-letter record exists but could not be read. */
  deadLettersUnreadable?: string;
}

export interface EffectInvariant {
  /** What holds, in a sentence (e.g. `stock conserved: initial - reserved = remaining`). */
  name: string;
  /** How many things were checked (products, accounts). */
  checked: number;
  violations: readonly { subject: string; note: string }[];
}

export interface FlawSpec {
  description: string;
}

/** A running target: its processes are the harness's to control; this is what else it offers. */
export interface StartedTarget {
  /** Base URL of the workload endpoint (e.g. `http://127.0.0.1:41234`). */
  apiUrl: string;
  /** Answers whether the target serves again after a fault (e.g. `GET /health` is 2xx). */
  healthy(): Promise<boolean>;
  /** Reads the target's effects back after the run; absent when the target keeps none the harness can read. */
  readEffects?(): Promise<TargetEffects>;
  /** A black-box target's own view of what it processed (ids, repeats kept), read after the drain. */
  readProcessed?(): Promise<readonly string[]>;
  /** Scrape targets for the run's Prometheus, by job name. */
  metrics?: Readonly<Record<string, readonly string[]>>;
}

/** A plug-in target. Everything here is data or a pure function, except `start`. */
export interface Target {
  name: string;
  description: string;
  /** Defects the target can be started with on purpose, by name. */
  flaws: Readonly<Record<string, FlawSpec>>;
  workload: HttpWorkload;
  topology: DeclaredTopology;
  /** Checks every scenario makes on this target, by checker name (e.g. zero-loss, effects, set). */
  baselineChecks: readonly string[];
  /**
   * The settings the target runs with: a scenario's `settings` with the target's defaults filled in,
   * refusing what it does not understand (throw). The result is what `processes()` gets as
   * `context.settings`, what results.json records and what checkers read as `run.system`.
   * Absent: the settings are used as given.
   */
  resolveSettings?(settings: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /**
   * The processes to start (the first is awaited before the others start). May be async: a target
   * that fixes its ports up front (so a restarted process keeps them) allocates them here.
   */
  processes(context: TargetStartContext): readonly TargetProcessSpec[] | Promise<readonly TargetProcessSpec[]>;
  /** Called once every process is ready. */
  started(context: TargetStartContext, ready: ReadonlyMap<string, { httpPort?: number; metricsPort?: number }>): StartedTarget;
}
