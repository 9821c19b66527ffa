import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import type { FaultEnv, ProcessControl, ProxyControls } from '../../../chaos/fault.ts';
import { NoClusterError } from '../../../chaos/faults/cluster-env.ts';
import { leaderKill } from '../../../chaos/faults/leader-kill.ts';
import { nodeLoss } from '../../../chaos/faults/node-loss.ts';
import { partitionMinority } from '../../../chaos/faults/partition.ts';
import { rollingRestart } from '../../../chaos/faults/rolling-restart.ts';
import { StartedRabbitCluster } from '../../../harness/env/rabbitmq-cluster.ts';
import { seededRandom } from '../../../load/seeded-random.ts';
import { tempDir } from '../../support/temp-dir.ts';

// Each cluster fault against a real three-node cluster: it does what it says (a node down, a node
// cut off, the leader gone, every node restarted in turn), its heal leaves the cluster whole, and a
// quorum queue's confirmed messages are all still there after all of it.
const dir = tempDir('cluster-faults');
let cluster: StartedRabbitCluster | undefined;
afterAll(async () => {
  await cluster?.dispose();
  dir.remove();
});

const QUEUE = 'q-faults';
const MESSAGES = 300;
const unused = () => Promise.reject(new Error('not used by cluster faults'));
const NO_PROCESSES: ProcessControl = { list: () => [], kill: unused, start: unused, pause: unused, resume: unused };
const NO_PROXIES = {} as ProxyControls;

async function until(what: string, timeoutMs: number, test: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

describe('cluster faults', () => {
  it.skipIf(process.getuid?.() !== 0)('each does what it says and heals to a whole cluster that lost nothing confirmed', async () => {
    cluster = await StartedRabbitCluster.start({ dir: dir.path });
    const c = cluster;
    const control = c.control();
    const log: string[] = [];
    const env: FaultEnv = {
      broker: control.nodes[0]!,
      cluster: control,
      proxies: NO_PROXIES,
      processes: NO_PROCESSES,
      random: seededRandom(7),
      log: (m) => log.push(m),
    };
    const connection = await amqp.connect(c.nodes[0]!.amqpUrl());
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    for (let i = 0; i < MESSAGES; i++) channel.sendToQueue(QUEUE, Buffer.from(String(i)), { persistent: true });
    await channel.waitForConfirms();
    await connection.close();
    const running = () => control.nodes.filter((n) => n.running).map((n) => n.name);
    const all = control.nodes.map((n) => n.name);

    const kill = nodeLoss({ how: 'kill' });
    await kill.start(env);
    expect(running()).toHaveLength(2);
    await kill.stop(env);
    expect(running()).toEqual(all);

    const partition = partitionMinority();
    await partition.start(env);
    // In effect once the majority has noticed: the start resolves only then, and says so.
    const cutOff = /: (\S+) cut off/.exec(log.find((l) => l.includes(' cut off from '))!)![1]!;
    expect(log.at(-1)).toMatch(new RegExp(`see ${cutOff.replace(/\./g, '\\.')} down$`));
    const other = c.nodes.find((n) => n.nodeName !== cutOff)!;
    await until('the majority sees the cut-off node gone', 60_000, async () => {
      const seen = (await c.runningNodes()).get(other.nodeName) ?? [];
      return seen.length === 2 && !seen.includes(cutOff);
    });
    await partition.stop(env);
    expect([...(await c.runningNodes()).values()].every((seen) => seen.length === 3)).toBe(true);

    const leader = await control.leaderOf(QUEUE);
    expect(all).toContain(leader);
    const kilLeader = leaderKill({ queue: QUEUE });
    await kilLeader.start(env);
    expect(running()).not.toContain(leader);
    await until('a new leader elected', 30_000, async () => {
      const now = await control.leaderOf(QUEUE);
      return now !== undefined && now !== leader;
    });
    await kilLeader.stop(env);
    expect(running()).toEqual(all);

    const roll = rollingRestart();
    await roll.start(env);
    await roll.stop(env);
    expect(log.filter((l) => l.startsWith('rolling-restart: restarting'))).toHaveLength(3);
    expect(running()).toEqual(all);

    const after = await amqp.connect(c.nodes[1]!.amqpUrl());
    expect((await (await after.createChannel()).checkQueue(QUEUE)).messageCount).toBe(MESSAGES);
    await after.close();

    // Without a cluster, a cluster fault refuses clearly instead of testing nothing.
    await expect(nodeLoss({ how: 'kill' }).start({ ...env, cluster: undefined } as FaultEnv)).rejects.toBeInstanceOf(NoClusterError);
  });
});
