import amqp from 'amqplib';
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { logTail, sleep } from './child-exit.ts';
import { freePorts } from './free-port.ts';
import { lifelineGone, signalGroup, spawnWithLifeline } from './lifeline.ts';
import { StartedEpmd } from './private-epmd.ts';
import { findRabbitMq, type RabbitMqBinaries } from './rabbitmq-binary.ts';
import { enabledPluginsFile, erlangTermConfig, linkPluginsDir, type ClusterTerms } from './rabbitmq-boot-files.ts';

const execFileAsync = promisify(execFile);

/** A cold boot takes about 3 s here; a loaded CI machine gets plenty of slack. */
const BOOT_TIMEOUT_MS = 90_000;
/** A graceful stop takes well under a second here (see DATA_CLOSED_MARKER); this bounds a stuck one. */
const STOP_TIMEOUT_MS = 60_000;
/**
 * Logged by the management agent once RabbitMQ has stopped every vhost (queues, indices, message
 * stores and recovery terms closed on disk). RabbitMQ 3.10 then stalls 5 s in that handler (its
 * terminate calls back into the event manager that is terminating it, and waits out a call
 * timeout) before Erlang's own shutdown: nothing a restart needs is written after this line, so
 * the graceful stop ends the VM here instead of idling through the stall. Without the line (another
 * version) the stop waits for the VM to exit by itself.
 */
const DATA_CLOSED_MARKER = 'Management plugin: to stop collect_statistics';
const READY_POLL_MS = 250;
const LOG_POLL_MS = 50;
const LOOPBACK = '127.0.0.1';
/** The node's directory holds its password (rabbitmq.conf) and Erlang cookie: its owner's alone. */
const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;
/** Erlang refuses a cookie file anyone else may read. */
const COOKIE_FILE_MODE = 0o400;

export class BrokerStartError extends Error {
  /** A port chosen free was taken by someone else before the node bound it: starting again on fresh ports will do. */
  readonly portTaken: boolean;
  constructor(message: string, portTaken = false) {
    super(message);
    this.name = 'BrokerStartError';
    this.portTaken = portTaken;
  }
}

/** Boots on fresh ports after a port clash at most this many times in all. */
export const PORT_CLASH_ATTEMPTS = 3;

export interface RabbitNodeOptions {
  /** Directory holding this node's data, logs, config and Erlang cookie. */
  dir: string;
  binaries?: RabbitMqBinaries;
  /** A node of a cluster (cluster/rabbitmq-cluster.ts): in its own network namespace, under a long name. */
  cluster?: ClusterMembership;
}

/** Where a cluster node runs and what it shares with the others. */
export interface ClusterMembership extends ClusterTerms {
  /** The node's address in its network namespace: it binds there and is reached there. */
  address: string;
  /** Runs a command inside the node's namespace (its VM, its epmd, rabbitmqctl). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Shared by every node: Erlang distribution authenticates with it. */
  cookie: string;
  /** The administrator, the same on every node (a joining node takes the first node's users). */
  user: string;
  password: string;
  /** Every node's epmd listens on this port in its own namespace: nodes find each other's epmd there. */
  epmdPort: number;
  /** Seconds until a silent peer counts as down (Erlang's default, 60, makes every partition a minute long). */
  netTicktimeSeconds: number;
}

/** A cluster node's name: long, by address (each node has its own address in its own namespace). */
export function clusterNodeName(address: string): string {
  return `rabbit@${address}`;
}

/**
 * A private RabbitMQ node started from the installed rabbitmq-server: free ports, everything in
 * `dir` (0700, its config 0600: it holds the password), bound to 127.0.0.1, a generated
 * administrator instead of guest, Prometheus (and the management API, for per-channel figures and
 * for people looking around) enabled, its own epmd (private-epmd.ts). It can be stopped
 * gracefully, SIGKILLed, and started again on the same data.
 *
 * The VM and its epmd run under lifelines (lifeline.ts): whatever ends the harness, SIGKILL
 * included, ends them too.
 */
export class StartedRabbitNode {
  readonly nodeName: string;
  readonly user: string;
  readonly password: string;
  readonly #address: string;
  readonly #cluster: ClusterMembership | undefined;
  readonly #dir: string;
  readonly #binaries: RabbitMqBinaries;
  readonly #ports: { amqp: number; dist: number; prometheus: number; management: number };
  #epmd: StartedEpmd | null = null;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #log: WriteStream | null = null;
  readonly #pluginsDir: string | undefined;
  #lastBootSeconds: number | undefined;

  private constructor(dir: string, binaries: RabbitMqBinaries, ports: number[], cluster?: ClusterMembership) {
    // Absolute: it is the node's HOME and what its command line is recognised by (processes.jsonl).
    this.#dir = resolve(dir);
    this.#binaries = binaries;
    const [amqpPort, dist, prometheus, management] = ports as [number, number, number, number];
    this.#ports = { amqp: amqpPort, dist, prometheus, management };
    this.#pluginsDir = linkPluginsDir(binaries.server, join(this.#dir, 'plugins'));
    this.#cluster = cluster;
    this.#address = cluster?.address ?? LOOPBACK;
    this.nodeName = cluster ? clusterNodeName(cluster.address) : `harness-${amqpPort}@localhost`;
    this.user = cluster?.user ?? `harness-${randomBytes(3).toString('hex')}`;
    this.password = cluster?.password ?? randomBytes(12).toString('hex');
  }

  static async start(options: RabbitNodeOptions): Promise<StartedRabbitNode> {
    for (let attempt = 1; ; attempt++) {
      const node = await StartedRabbitNode.prepare(options);
      try {
        await node.start();
        return node;
      } catch (err) {
        await node.dispose();
        if (!(err instanceof BrokerStartError && err.portTaken && attempt < PORT_CLASH_ATTEMPTS)) throw err;
      }
    }
  }

  /**
   * Everything but the boot: ports, directory, config and its epmd; `start()` boots it. Lets a
   * caller start what needs only the node's ports (a proxy) while it boots; `dispose()` either way.
   */
  static async prepare(options: RabbitNodeOptions): Promise<StartedRabbitNode> {
    const binaries = options.binaries ?? findRabbitMq();
    const node = new StartedRabbitNode(options.dir, binaries, await freePorts(4), options.cluster);
    node.#makePrivateDir();
    try {
      const c = options.cluster;
      node.#epmd = await StartedEpmd.start(
        join(node.#dir, 'log', 'epmd.log'),
        node.nodeName,
        c ? { address: c.address, port: c.epmdPort, wrap: c.wrap } : undefined,
      );
      node.#writeConfig();
    } catch (err) {
      await node.dispose();
      throw err;
    }
    return node;
  }

  get host(): string {
    return this.#address;
  }
  get amqpPort(): number {
    return this.#ports.amqp;
  }
  get prometheusPort(): number {
    return this.#ports.prometheus;
  }
  get managementPort(): number {
    return this.#ports.management;
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  /** This node's own epmd (see private-epmd.ts). */
  get epmdPid(): number | undefined {
    return this.#epmd?.pid;
  }
  get epmdPort(): number | undefined {
    return this.#epmd?.port;
  }
  get running(): boolean {
    return this.#child !== null;
  }
  /** How long the last start took, from spawn to AMQP logins: what a restart must plan for. */
  get lastBootSeconds(): number | undefined {
    return this.#lastBootSeconds;
  }

  /** AMQP URL of the node itself (system processes get proxy URLs instead, when a proxy is used). */
  amqpUrl(host = this.#address, port = this.#ports.amqp): string {
    return `amqp://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@${host}:${port}`;
  }
  get prometheusUrl(): string {
    return `http://${this.#address}:${this.#ports.prometheus}/metrics`;
  }
  get managementUrl(): string {
    return `http://${this.#address}:${this.#ports.management}`;
  }

  /** Boots the node (again, on the same data after a stop or kill) and waits until AMQP logins work. */
  async start(): Promise<void> {
    if (this.#child) throw new BrokerStartError(`node ${this.nodeName} is already running (pid ${this.#child.pid})`);
    if (!this.#epmd) throw new BrokerStartError(`node ${this.nodeName} has been disposed of`);
    mkdirSync(join(this.#dir, 'log'), { recursive: true });
    const spawnedAt = performance.now();
    this.#log ??= createWriteStream(join(this.#dir, 'log', 'console.log'), { flags: 'a' });
    const server = this.#wrap(this.#binaries.server, []);
    const child = spawnWithLifeline(server.command, server.args, {
      env: this.#env(),
      stdio: ['ignore', 'pipe', 'pipe'],
      label: `rabbitmq ${this.nodeName}`,
      // The script execs the Erlang VM, whose arguments hold the node's directory (`-home`).
      commandLineMarker: this.#dir,
    });
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });

    this.#child = child;
    // Exited means the VM and its lifeline (which takes the rest of its group) are both gone.
    this.#exited = new Promise<void>((resolve) => child.once('exit', () => resolve())).then(() => lifelineGone(child));
    child.once('exit', () => {
      if (this.#child === child) this.#child = null;
    });
    await this.#waitUntilReady(child);
    this.#lastBootSeconds = (performance.now() - spawnedAt) / 1000;
  }

  /**
   * Graceful stop: SIGTERM to the VM, so RabbitMQ closes its listeners and connections and flushes
   * and closes every queue and message store; once it says so (DATA_CLOSED_MARKER) the rest of the
   * VM is ended by SIGKILL. Waits until it has exited.
   */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const marker = watchLogFor(join(this.#dir, 'log', `${this.nodeName}.log`), DATA_CLOSED_MARKER);
    try {
      const stopping = this.#signalAndWait('SIGTERM', STOP_TIMEOUT_MS);
      await Promise.race([stopping, marker.seen]);
      if (this.#child === child) signalGroup(child, 'SIGKILL');
      await stopping;
    } finally {
      marker.cancel();
    }
  }

  /** SIGKILL to the node's whole process group: no flush, no goodbye to clients; what was not on disk is gone. */
  async kill(): Promise<void> {
    await this.#signalAndWait('SIGKILL', STOP_TIMEOUT_MS);
  }

  /** Runs rabbitmqctl against this node (e.g. to raise a resource alarm). */
  async ctl(...args: string[]): Promise<string> {
    // A cluster node's rabbitmqctl runs in its namespace: its own distributed VM needs the epmd there.
    const ctl = this.#wrap(this.#binaries.ctl, ['-n', this.nodeName, ...args]);
    const { stdout } = await execFileAsync(ctl.command, ctl.args, { env: this.#env(), timeout: 60_000 });
    return stdout;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  /**
   * Stops the node for good, at once (SIGKILL): once a run is over nobody needs its queues flushed,
   * and a graceful stop costs ~7 s per run. Its logs and data directory stay for reading.
   */
  async dispose(): Promise<void> {
    if (this.#child) await this.#signalAndWait('SIGKILL', 10_000).catch(() => {});
    await this.#epmd?.stop().catch(() => {});
    this.#epmd = null;
    this.#log?.end();
    this.#log = null;
  }

  async #signalAndWait(signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    const child = this.#child;
    if (!child) return;
    // A graceful stop is the VM's to carry out (it ends its port programs itself); a kill takes the group.
    if (signal === 'SIGKILL') signalGroup(child, signal);
    else child.kill(signal);
    const timedOut = await Promise.race([this.#exited.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) throw new BrokerStartError(`node ${this.nodeName} (pid ${child.pid}) did not exit within ${timeoutMs} ms of ${signal}`);
  }

  async #waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      if (this.#child !== child) {
        const tail = logTail(join(this.#dir, 'log', 'console.log'));
        throw new BrokerStartError(
          `node ${this.nodeName} exited during boot: ${lastError}; see ${join(this.#dir, 'log')}\n${tail}`,
          // Ports are chosen free, then bound by the VM seconds later: meanwhile any socket may take one.
          tail.includes('eaddrinuse'),
        );
      }
      try {
        const connection = await amqp.connect(this.amqpUrl(), { timeout: 2_000 });
        await connection.close();
        return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await sleep(READY_POLL_MS);
    }
    signalGroup(child, 'SIGKILL');
    throw new BrokerStartError(`node ${this.nodeName} not ready within ${BOOT_TIMEOUT_MS} ms: ${lastError}`);
  }

  #env(): NodeJS.ProcessEnv {
    const dir = this.#dir;
    const epmd = this.#epmd;
    if (!epmd) throw new BrokerStartError(`node ${this.nodeName} has no epmd (disposed of?)`);
    return {
      PATH: process.env.PATH,
      LANG: process.env.LANG ?? 'C.UTF-8',
      HOME: dir,
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: this.#address,
      RABBITMQ_NODE_PORT: String(this.#ports.amqp),
      RABBITMQ_DIST_PORT: String(this.#ports.dist),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.config'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
      ...(this.#pluginsDir ? { RABBITMQ_PLUGINS_DIR: this.#pluginsDir } : {}),
      // A file that does not exist instead of the machine's /etc/rabbitmq/rabbitmq-env.conf: that
      // one configures the system instance, and is sourced after the environment, so it could move
      // our epmd; and sourcing any such file costs two shell runs per boot.
      RABBITMQ_CONF_ENV_FILE: join(dir, 'no-rabbitmq-env.conf'),
      // This node's own epmd, on loopback (see private-epmd.ts); rabbitmqctl finds it the same way.
      ERL_EPMD_PORT: String(epmd.port),
      ERL_EPMD_ADDRESS: this.#address,
      ...(this.#cluster ? { RABBITMQ_USE_LONGNAME: 'true' } : {}),
      // Keeps Erlang distribution on loopback (it listens on every interface otherwise), and never
      // lets the VM start an `epmd -daemon` of its own, which would outlive the run. The VM starts
      // distributed under the node's name and dist port: RabbitMQ then skips its own distribution
      // setup, which boots a second Erlang VM just to make sure an epmd runs (ours does).
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:
        `-kernel inet_dist_use_interface {${this.#address.split('.').join(',')}} -start_epmd false ` +
        `${this.#cluster ? `-name ${this.nodeName} -kernel net_ticktime ${this.#cluster.netTicktimeSeconds}` : `-sname ${this.nodeName}`} ` +
        `-kernel inet_dist_listen_min ${this.#ports.dist} -kernel inet_dist_listen_max ${this.#ports.dist}`,
      // Makes the script exec the VM directly, so our child PID is the broker itself and a
      // SIGKILL really kills the broker (not a shell wrapper that would leave it running).
      RUNNING_UNDER_SYSTEMD: 'true',
    };
  }

  #wrap(command: string, args: readonly string[]): { command: string; args: string[] } {
    return this.#cluster ? this.#cluster.wrap(command, args) : { command, args: [...args] };
  }

  #makePrivateDir(): void {
    mkdirSync(this.#dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // mkdir's mode is cut by the umask and ignored for a directory that existed already.
    chmodSync(this.#dir, PRIVATE_DIR_MODE);
  }

  #writeConfig(): void {
    const p = this.#ports;
    const listeners = { host: this.#address, amqp: p.amqp, management: p.management, prometheus: p.prometheus };
    writePrivateFile(join(this.#dir, 'rabbitmq.config'), erlangTermConfig(listeners, this.user, this.password, this.#cluster));
    // HOME is the node's directory: the VM and rabbitmqctl both read the cookie from there.
    if (this.#cluster) writePrivateFile(join(this.#dir, '.erlang.cookie'), this.#cluster.cookie, COOKIE_FILE_MODE);
    writePrivateFile(join(this.#dir, 'enabled_plugins'), enabledPluginsFile());
  }
}

/**
 * Resolves `seen` once `text` is appended to the file (what it held already does not count). The
 * node's log file, not its stdout: RabbitMQ logs to stdout only until its file handlers are up.
 */
function watchLogFor(file: string, text: string): { seen: Promise<void>; cancel: () => void } {
  let offset = fileSize(file);
  let timer: NodeJS.Timeout | undefined;
  const seen = new Promise<void>((resolve) => {
    const poll = (): void => {
      const size = fileSize(file);
      if (size > offset) {
        const fd = openSync(file, 'r');
        try {
          const buffer = Buffer.alloc(size - offset);
          readSync(fd, buffer, 0, buffer.length, offset);
          // A line split across two polls is read again whole: back up by the marker's length.
          offset = Math.max(offset, size - Buffer.byteLength(text));
          if (buffer.includes(text)) return resolve();
        } finally {
          closeSync(fd);
        }
      }
      timer = setTimeout(poll, LOG_POLL_MS);
    };
    poll();
  });
  return { seen, cancel: () => clearTimeout(timer) };
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Created 0600, and made so if it existed (writeFileSync's mode applies only to a new file). */
function writePrivateFile(file: string, text: string, mode = PRIVATE_FILE_MODE): void {
  // A read-only file (the cookie) written again on a restart: made writable first.
  if (existsSync(file)) chmodSync(file, PRIVATE_FILE_MODE);
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
}
