import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const LIFELINE_SCRIPT = fileURLToPath(new URL('./network-lifeline.sh', import.meta.url));
/** Every name this module gives starts so (the lifeline refuses to delete anything else). */
export const NAME_PREFIX = 'rch';
/** The hosts' addresses in their /24: .1 is the bridge (the harness's side), hosts from .11. */
const BRIDGE_HOST = 1;
const FIRST_HOST = 11;
const IP_TIMEOUT_MS = 10_000;

export class NetworkUnavailableError extends Error {
  constructor(reason: string) {
    super(`private network namespaces are not available here: ${reason} (the cluster scenarios need root and iproute2's ip netns)`);
    this.name = 'NetworkUnavailableError';
  }
}

export interface NetworkHost {
  /** Its network namespace. */
  ns: string;
  /** Its address, reachable from the harness (the root namespace) through the bridge. */
  address: string;
}

/** A partition in effect: the routes it added, removed again by `heal`. */
export interface Partition {
  readonly description: string;
  heal(): Promise<void>;
}

/**
 * A private network for one run: `hosts` Linux network namespaces, each with one veth on a bridge
 * in the root namespace, on a /24 of 10.0.0.0/8 no interface or route here uses yet. Processes
 * started with `command()` run inside a host and reach the others and the harness by address;
 * the harness reaches every host through the bridge. Partitions are blackhole routes inside the
 * namespaces (no iptables needed), healed by deleting exactly those routes.
 *
 * Everything is removed by `dispose()`, and by a lifeline (network-lifeline.sh) when the harness
 * dies without it, SIGKILL included: namespaces, veths, bridge. Nothing is named by pattern on the
 * way out: only the names this run created.
 */
export class StartedPrivateNetwork {
  readonly bridge: string;
  readonly hosts: readonly NetworkHost[];
  /** The harness's own address on the bridge. */
  readonly gateway: string;
  readonly #lifeline: ChildProcess;
  readonly #lifelineGone: Promise<void>;
  readonly #partitions = new Set<Partition>();
  #disposed = false;

  private constructor(bridge: string, hosts: NetworkHost[], gateway: string, lifeline: ChildProcess) {
    this.bridge = bridge;
    this.hosts = hosts;
    this.gateway = gateway;
    this.#lifeline = lifeline;
    this.#lifelineGone = new Promise((resolve) => {
      if (lifeline.exitCode !== null || lifeline.signalCode !== null) resolve();
      else lifeline.once('exit', () => resolve());
    });
  }

  static async start(options: { hosts: number }): Promise<StartedPrivateNetwork> {
    await assertNetnsAvailable();
    const id = randomBytes(4).toString('hex').slice(0, 6);
    const bridge = `${NAME_PREFIX}${id}b`;
    const namespaces = Array.from({ length: options.hosts }, (_, i) => `${NAME_PREFIX}${id}n${i + 1}`);
    const subnet = await freeSubnet();
    const hosts = namespaces.map((ns, i) => ({ ns, address: `${subnet}.${FIRST_HOST + i}` }));
    // The lifeline first: whatever is created from here on goes with it.
    const lifeline = spawn('/bin/sh', [LIFELINE_SCRIPT, bridge, ...namespaces], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    lifeline.stdin?.on('error', () => {});
    const network = new StartedPrivateNetwork(bridge, hosts, `${subnet}.${BRIDGE_HOST}`, lifeline);
    try {
      await ip('link', 'add', bridge, 'type', 'bridge');
      await ip('addr', 'add', `${network.gateway}/24`, 'dev', bridge);
      await ip('link', 'set', bridge, 'up');
      for (const [i, host] of hosts.entries()) {
        const outside = vethName(bridge, i);
        const inside = `${NAME_PREFIX}${id}p${i + 1}`;
        await ip('netns', 'add', host.ns);
        await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', host.ns);
        await ip('link', 'set', outside, 'master', bridge, 'up');
        await ip('-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', inside);
        await ip('-n', host.ns, 'link', 'set', inside, 'up');
        await ip('-n', host.ns, 'link', 'set', 'lo', 'up');
      }
    } catch (err) {
      await network.dispose();
      throw err;
    }
    return network;
  }

  /** A command line that runs `command` inside `host`'s namespace (spawn it as you would the command itself). */
  command(host: NetworkHost, command: string, args: readonly string[]): { command: string; args: string[] } {
    return { command: 'ip', args: ['netns', 'exec', host.ns, command, ...args] };
  }

  /**
   * Cuts every pair of hosts on different sides: each drops what it would send to the other side
   * (both directions, or only from the first side to the others with `oneWay`).
   */
  async partition(sides: readonly (readonly NetworkHost[])[], options: { oneWay?: boolean } = {}): Promise<Partition> {
    const routes: { ns: string; to: string }[] = [];
    const partition: Partition = {
      description: sides.map((side) => side.map((h) => h.address).join(',')).join(options.oneWay ? ' -/-> ' : ' | '),
      heal: async () => {
        if (!this.#partitions.delete(partition)) return;
        const failures: string[] = [];
        for (const r of routes)
          await ip('-n', r.ns, 'route', 'del', 'blackhole', `${r.to}/32`).catch((err: Error) => failures.push(err.message));
        if (failures.length && !this.#disposed)
          throw new Error(`partition ${partition.description} not fully healed: ${failures.join('; ')}`);
      },
    };
    this.#partitions.add(partition);
    try {
      for (const [s, side] of sides.entries()) {
        if (options.oneWay && s > 0) break;
        const others = sides.filter((_, o) => o !== s).flat();
        for (const from of side)
          for (const to of others) {
            await ip('-n', from.ns, 'route', 'add', 'blackhole', `${to.address}/32`);
            routes.push({ ns: from.ns, to: to.address });
          }
      }
    } catch (err) {
      await partition.heal().catch(() => {});
      throw err;
    }
    return partition;
  }

  /** Heals every partition still in effect. */
  async healAll(): Promise<void> {
    for (const p of [...this.#partitions]) await p.heal();
  }

  /** Removes the veths, the namespaces and the bridge. Safe to call more than once. */
  async dispose(): Promise<void> {
    if (this.#disposed) return this.#lifelineGone;
    this.#disposed = true;
    this.#partitions.clear();
    // The root-side veth ends first: deleting one deletes its peer at once, whereas a namespace
    // (and the veth in it) only goes once the kernel has reaped the last process that was in it.
    for (const [i] of this.hosts.entries()) await ip('link', 'delete', vethName(this.bridge, i)).catch(() => {});
    for (const host of this.hosts) await ip('netns', 'delete', host.ns).catch(() => {});
    await ip('link', 'delete', this.bridge).catch(() => {});
    this.#lifeline.stdin?.end();
    await this.#lifelineGone;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** The root-side end of host `index`'s veth: `rch<id>v<n>` beside bridge `rch<id>b` (network-lifeline.sh derives it the same way). */
function vethName(bridge: string, index: number): string {
  return `${bridge.slice(0, -1)}v${index + 1}`;
}

/** Throws NetworkUnavailableError saying why when this process cannot make namespaces. */
export async function assertNetnsAvailable(): Promise<void> {
  if (process.getuid?.() !== 0) throw new NetworkUnavailableError(`not running as root (uid ${process.getuid?.()})`);
  try {
    await ip('netns', 'list');
  } catch (err) {
    throw new NetworkUnavailableError(`\`ip netns list\` failed: ${(err as Error).message}`);
  }
}

/** Names the namespaces that exist now (for tests proving a run left none). */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await execFileAsync('ip', ['netns', 'list'], { timeout: IP_TIMEOUT_MS });
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

/** The first three octets of a 10.x.y.0/24 no address or route of this machine falls in. */
async function freeSubnet(): Promise<string> {
  const { stdout } = await execFileAsync('ip', ['-4', '-o', 'addr'], { timeout: IP_TIMEOUT_MS });
  const { stdout: routes } = await execFileAsync('ip', ['-4', 'route'], { timeout: IP_TIMEOUT_MS });
  const used = stdout + routes;
  for (let attempt = 0; attempt < 100; attempt++) {
    const [a, b] = randomBytes(2);
    const prefix = `10.${200 + (a! % 50)}.${b}`;
    if (!used.includes(`${prefix}.`)) return prefix;
  }
  throw new NetworkUnavailableError('no free 10.x.y.0/24 found');
}

async function ip(...args: string[]): Promise<void> {
  try {
    await execFileAsync('ip', args, { timeout: IP_TIMEOUT_MS });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (err as Error).message}`);
  }
}
