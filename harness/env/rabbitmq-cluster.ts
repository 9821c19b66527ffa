import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { StartedPrivateNetwork, type NetworkHost } from '../../chaos/cluster/private-network.ts';
import type { ClusterControl, ClusterNodeControl } from '../../chaos/fault.ts';
import { BrokerInspector } from './broker-inspector.ts';
import { sleep } from './child-exit.ts';
import { findRabbitMq } from './rabbitmq-binary.ts';
import type { ClusterTerms } from './rabbitmq-boot-files.ts';
import { BrokerStartError, clusterNodeName, StartedRabbitNode } from './rabbitmq-node.ts';

/** epmd's own port: free in every namespace of ours, and what rabbitmqctl expects by default. */
const CLUSTER_EPMD_PORT = 4369;
/** A peer silent this long counts as down: partitions are noticed in ~10-15 s instead of Erlang's 60-75. */
const NET_TICKTIME_SECONDS = 10;
const FORMATION_TIMEOUT_MS = 120_000;
const FORMATION_POLL_MS = 250;

export interface RabbitClusterOptions {
  /** Holds one directory per node (`node-1`...). */
  dir: string;
  nodes?: number;
  partitionHandling?: ClusterTerms['partitionHandling'];
}

/**
 * A RabbitMQ cluster the harness owns: `nodes` private nodes (default 3) from the installed
 * rabbitmq-server, each in its own network namespace on a private bridge (chaos/cluster), so a
 * partition is a real one: packets between namespaces dropped, not a proxy refusing. They share a
 * generated cookie and administrator and join by classic-config peer discovery: the first node
 * boots alone, the others boot side by side and join it. `cluster_partition_handling` is explicit
 * (pause_minority by default: the minority side stops serving rather than diverge).
 *
 * Every node and epmd runs under a lifeline, the network under its own: whatever ends the harness
 * removes them all.
 */
export class StartedRabbitCluster {
  readonly network: StartedPrivateNetwork;
  readonly nodes: readonly StartedRabbitNode[];
  /** From the first node's spawn to every node running in one cluster. */
  readonly formationSeconds: number;
  readonly partitionHandling: NonNullable<ClusterTerms['partitionHandling']>;

  private constructor(
    network: StartedPrivateNetwork,
    nodes: StartedRabbitNode[],
    formationSeconds: number,
    partitionHandling: NonNullable<ClusterTerms['partitionHandling']>,
  ) {
    this.network = network;
    this.nodes = nodes;
    this.formationSeconds = formationSeconds;
    this.partitionHandling = partitionHandling;
  }

  static async start(options: RabbitClusterOptions): Promise<StartedRabbitCluster> {
    const count = options.nodes ?? 3;
    const binaries = findRabbitMq();
    const network = await StartedPrivateNetwork.start({ hosts: count });
    const nodes: StartedRabbitNode[] = [];
    try {
      const shared = {
        cookie: randomBytes(20).toString('hex'),
        user: `harness-${randomBytes(3).toString('hex')}`,
        password: randomBytes(12).toString('hex'),
        epmdPort: CLUSTER_EPMD_PORT,
        partitionHandling: options.partitionHandling ?? 'pause_minority',
        netTicktimeSeconds: NET_TICKTIME_SECONDS,
      };
      const first = clusterNodeName(network.hosts[0]!.address);
      for (const [i, host] of network.hosts.entries())
        nodes.push(
          await StartedRabbitNode.prepare({
            dir: join(options.dir, `node-${i + 1}`),
            binaries,
            cluster: {
              ...shared,
              joins: i === 0 ? [] : [first],
              address: host.address,
              wrap: (command, args) => network.command(host, command, args),
            },
          }),
        );
      const started = performance.now();
      await nodes[0]!.start();
      await Promise.all(nodes.slice(1).map((n) => n.start()));
      const cluster = new StartedRabbitCluster(network, nodes, 0, shared.partitionHandling);
      await cluster.waitUntilFormed(FORMATION_TIMEOUT_MS);
      return new StartedRabbitCluster(network, nodes, Math.round((performance.now() - started) / 100) / 10, shared.partitionHandling);
    } catch (err) {
      await Promise.all(nodes.map((n) => n.dispose()));
      await network.dispose();
      throw err;
    }
  }

  hostOf(node: StartedRabbitNode): NetworkHost {
    const host = this.network.hosts.find((h) => h.address === node.host);
    if (!host) throw new Error(`${node.nodeName} is not a node of this cluster`);
    return host;
  }

  /** The nodes each running node sees as running, by node name (from the management API of each). */
  async runningNodes(): Promise<Map<string, string[]>> {
    const seen = new Map<string, string[]>();
    await Promise.all(
      this.nodes
        .filter((n) => n.running)
        .map(async (n) => {
          const running = await inspectorOf([n])
            .runningNodes()
            .catch(() => undefined);
          if (running) seen.set(n.nodeName, running);
        }),
    );
    return seen;
  }

  /** Waits until every node is running and each sees all of them running. */
  async waitUntilFormed(timeoutMs: number): Promise<void> {
    const all = this.nodes.map((n) => n.nodeName).sort();
    const deadline = Date.now() + timeoutMs;
    let last = new Map<string, string[]>();
    while (Date.now() < deadline) {
      last = await this.runningNodes();
      const agreed = all.every((name) => (last.get(name) ?? []).slice().sort().join() === all.join());
      if (agreed) return;
      await sleep(FORMATION_POLL_MS);
    }
    throw new BrokerStartError(
      `the cluster did not form within ${timeoutMs} ms: ` +
        [...last].map(([node, running]) => `${node} sees ${running.join(', ') || 'nothing'}`).join('; '),
    );
  }

  /** Waits until every other running node that answers sees `name` as not running. */
  async waitUntilSeenDown(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = new Map<string, string[]>();
    while (Date.now() < deadline) {
      last = await this.runningNodes();
      const others = [...last].filter(([node]) => node !== name);
      if (others.length > 0 && others.every(([, running]) => !running.includes(name))) return;
      await sleep(FORMATION_POLL_MS);
    }
    throw new Error(
      `no other node saw ${name} down within ${timeoutMs} ms: ` +
        [...last].map(([node, running]) => `${node} sees ${running.join(', ') || 'nothing'}`).join('; '),
    );
  }

  /** The cluster as faults see it (chaos/fault.ts ClusterControl). */
  control(): ClusterControl {
    const nodes: ClusterNodeControl[] = this.nodes.map((node) => ({
      name: node.nodeName,
      stop: () => node.stop(),
      kill: () => node.kill(),
      start: () => node.start(),
      ctl: (...args: string[]) => node.ctl(...args),
      get running() {
        return node.running;
      },
      get lastBootSeconds() {
        return node.lastBootSeconds;
      },
    }));
    const hostNamed = (name: string) => {
      const node = this.nodes.find((n) => n.nodeName === name);
      if (!node) throw new Error(`no node ${name} in this cluster (nodes: ${this.nodes.map((n) => n.nodeName).join(', ')})`);
      return this.hostOf(node);
    };
    return {
      nodes,
      partition: (sides, options) =>
        this.network.partition(
          sides.map((side) => side.map(hostNamed)),
          options,
        ),
      leaderOf: (queue) => this.leaderOf(queue),
      leaders: () => this.leaders(),
      waitUntilWhole: (timeoutMs = FORMATION_TIMEOUT_MS) => this.waitUntilFormed(timeoutMs),
      waitUntilSeenDown: (name) => this.waitUntilSeenDown(name, FORMATION_TIMEOUT_MS),
    };
  }

  /** The node leading a quorum queue, as the first node that answers says; undefined when none answers or none leads. */
  async leaderOf(queue: string): Promise<string | undefined> {
    return (await this.leaders()).get(queue);
  }

  /** Every quorum queue's leader, as the first node that answers says (empty when none answers). */
  async leaders(): Promise<Map<string, string>> {
    const running = this.nodes.filter((n) => n.running);
    if (running.length === 0) return new Map();
    const queues = await inspectorOf(running)
      .queues({ leaders: true })
      .catch(() => []);
    return new Map(queues.flatMap((q) => (q.leader !== undefined ? [[q.name, q.leader] as const] : [])));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.dispose()));
    await this.network.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** The management API of these nodes (the first that answers), as the rest of the harness reads it. */
function inspectorOf(nodes: readonly StartedRabbitNode[]): BrokerInspector {
  return new BrokerInspector(
    nodes.map((n) => n.managementUrl),
    nodes[0]!.user,
    nodes[0]!.password,
  );
}
