// Do the process faults hit the real system's processes as they say: a worker SIGKILLed while it holds
// unacked deliveries (which the other instance then gets, redelivered) and restarted with a new pid; a
// worker frozen by SIGSTOP and thawed; the API killed and restarted on the same port?
import amqp from 'amqplib';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultEnv } from '../../../chaos/fault.ts';
import { apiCrash } from '../../../chaos/faults/api-crash.ts';
import { consumerCrash } from '../../../chaos/faults/consumer-crash.ts';
import { consumerFreeze } from '../../../chaos/faults/consumer-freeze.ts';
import { NoVictimError } from '../../../chaos/faults/pick-victim.ts';
import { StartedReferenceSystem } from '../../support/reference-system.ts';
import { processControlFor } from '../../../harness/env/process-control.ts';
import { closeAll, startRig, uniqueName, until, type Rig } from './support.ts';

/** Long enough that a delivery is surely still unacked when the fault strikes. */
const PAYMENT_PROCESSING_MS = 3_000;
const HEARTBEAT_SECONDS = 1;

let rig: Rig;
let system: StartedReferenceSystem;
let env: FaultEnv;

beforeAll(async () => {
  rig = await startRig('process-faults');
  try {
    system = await StartedReferenceSystem.start(
      join(rig.dir, 'system'),
      rig.proxies.endpoints((host, port) => rig.node.amqpUrl(host, port)),
      {
        instances: { orders: 0, payments: 2, inventory: 0, notifications: 0, 'dead-letter': 0 },
        flaws: [],
        heartbeatSeconds: HEARTBEAT_SECONDS,
        processingMs: { payments: PAYMENT_PROCESSING_MS },
      },
    );
  } catch (err) {
    await rig.dispose();
    throw err;
  }
  env = rig.env(processControlFor(system.running));
});
afterAll(async () => {
  await system?.stop();
  await rig?.dispose();
});

interface Seen {
  kind: string;
  id?: string;
  event?: string;
  redelivered?: boolean;
}

function history(instance: string): Seen[] {
  const file = join(system.historyDir, `${instance}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Seen);
}

/** Deliveries the instance's current incarnation received and did not ack (yet). */
function unacked(instance: string): string[] {
  const all = history(instance);
  const events = all.slice(all.findLastIndex((e) => e.kind === 'lifecycle' && e.event === 'start') + 1);
  const acked = new Set(events.filter((e) => e.kind === 'ack').map((e) => e.id));
  return events.filter((e) => e.kind === 'deliver' && !acked.has(e.id)).map((e) => e.id!);
}

/** Publishes payment requests straight to the payments exchange, so every payments instance holds some. */
async function publishPayments(count: number): Promise<string[]> {
  const connection = await amqp.connect(rig.urlVia('producer'));
  try {
    const channel = await connection.createConfirmChannel();
    const ids = Array.from({ length: count }, () => uniqueName('pay'));
    for (const id of ids) {
      channel.publish('payments', 'process', Buffer.from(JSON.stringify({ orderId: id, userId: 'u', amountCents: 100 })), {
        persistent: true,
        messageId: id,
        headers: { 'x-order-id': id },
      });
    }
    await channel.waitForConfirms();
    return ids;
  } finally {
    await closeAll([connection]);
  }
}

function processState(pid: number): string | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state letter follows the command in parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const payments = () => system.instancesOf('payments');
const bothHoldWork = () =>
  until(
    'both payments instances hold unacked deliveries',
    () => (payments().every((p) => unacked(p.instance).length > 0) ? true : undefined),
    15_000,
  );

describe('consumer-crash', () => {
  it('SIGKILLs a payments worker holding unacked work; the other gets it redelivered; stop restarts the victim', async () => {
    await publishPayments(6);
    await bothHoldWork();
    const before = new Map(payments().map((p) => [p.instance, p.pid!]));

    const fault = consumerCrash({ role: 'payments' });
    await fault.start(env);
    const victim = payments().find((p) => !p.running)!;
    expect(victim).toBeDefined();
    const victimPid = before.get(victim.instance)!;
    const held = unacked(victim.instance);
    expect(alive(victimPid)).toBe(false);
    expect(rig.log.some((line) => line.includes(`SIGKILL ${victim.instance} (pid ${victimPid})`))).toBe(true);

    const survivor = payments().find((p) => p !== victim)!;
    await until("the survivor gets the victim's unacked deliveries again, marked redelivered", () => {
      const redelivered = new Set(
        history(survivor.instance)
          .filter((e) => e.kind === 'deliver' && e.redelivered)
          .map((e) => e.id),
      );
      return held.every((id) => redelivered.has(id)) ? true : undefined;
    });

    await fault.stop(env);
    await fault.stop(env);
    expect(victim.running).toBe(true);
    expect(victim.pid).not.toBe(victimPid);
    expect(victim.ready?.pid).toBe(victim.pid);
    expect(alive(victim.pid!)).toBe(true);
  });

  it('names the problem when there is no instance to crash', async () => {
    const fault = consumerCrash({ role: 'inventory' });
    await expect(fault.start(env)).rejects.toThrow(NoVictimError);
    await fault.stop(env);
  });
});

describe('consumer-freeze', () => {
  it('freezes a worker with SIGSTOP (its work is redelivered once the broker gives up on it) and thaws it with SIGCONT', async () => {
    await publishPayments(6);
    await bothHoldWork();

    const fault = consumerFreeze({ role: 'payments' });
    await fault.start(env);
    const victim = payments().find((p) => p.paused)!;
    expect(victim).toBeDefined();
    const pid = victim.pid!;
    expect(processState(pid)).toBe('T');
    const held = unacked(victim.instance);
    const frozenAt = performance.now();

    // With heartbeats the broker closes the frozen worker's connections and requeues what it held.
    const survivor = payments().find((p) => p !== victim)!;
    await until(
      "the frozen worker's deliveries reach the survivor",
      () => {
        const redelivered = new Set(
          history(survivor.instance)
            .filter((e) => e.kind === 'deliver' && e.redelivered)
            .map((e) => e.id),
        );
        return held.every((id) => redelivered.has(id)) ? true : undefined;
      },
      20_000,
    );
    console.log(
      `consumer-freeze: ${held.length} deliveries held by the frozen ${victim.instance} reached ${survivor.instance} ` +
        `after ${(performance.now() - frozenAt).toFixed(0)} ms (heartbeat ${HEARTBEAT_SECONDS} s)`,
    );

    const connectedBefore = history(victim.instance).filter((e) => e.event === 'connected').length;
    await fault.stop(env);
    await fault.stop(env);
    expect(victim.paused).toBe(false);
    expect(victim.pid).toBe(pid);
    expect(processState(pid)).not.toBe('T');
    // Thawed, it finds its connections dead and comes back by itself.
    await until(
      'the thawed worker reconnects',
      () => (history(victim.instance).filter((e) => e.event === 'connected').length > connectedBefore ? true : undefined),
      20_000,
    );
  });
});

describe('api-crash', () => {
  it('SIGKILLs the API and stop restarts it on the same port with a new pid', async () => {
    const api = system.api;
    const url = system.apiUrl;
    const pid = api.pid!;
    expect((await fetch(`${url}/health`)).status).toBe(200);

    const fault = apiCrash();
    await fault.start(env);
    expect(api.running).toBe(false);
    expect(alive(pid)).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();

    await fault.stop(env);
    await fault.stop(env);
    expect(system.apiUrl).toBe(url);
    expect(api.pid).not.toBe(pid);
    await until('restarted API healthy', async () => ((await fetch(`${url}/health`)).status === 200 ? true : undefined), 10_000);
  });
});
