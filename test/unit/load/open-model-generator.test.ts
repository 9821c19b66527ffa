import { afterEach, describe, expect, it } from 'vitest';
import { arrivalSchedule, type ArrivalSchedule } from '../../../load/arrival-schedule.ts';
import { createOrderClient, type OrderClient } from '../../../load/http-order-client.ts';
import {
  ResultCallbackError,
  runOpenModel,
  startOpenModel,
  type CompletedRequest,
  type DroppedRequest,
  type LiveStats,
  type RequestResult,
} from '../../../load/open-model-generator.ts';
import { orderRequest } from '../../../load/order-load.ts';
import { startOrderServer, type StartedOrderServer } from './order-server.ts';

// Every run here is a few seconds at most; tolerances allow for a busy 2-core machine.

const constant = (ratePerSecond: number, durationSeconds: number): ArrivalSchedule =>
  arrivalSchedule({ kind: 'constant', ratePerSecond, durationSeconds });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const indexOfId = (id: string | undefined): number => Number(id?.split('-').at(-1));
/** Arrival rate as the server saw it: intervals between first and last arrival, independent of the generator's count. */
const serverRate = (s: StartedOrderServer): number => ((s.received.length - 1) * 1000) / (s.received.at(-1)!.atMs - s.received[0]!.atMs);

function collect(): {
  results: RequestResult[];
  completed: () => CompletedRequest[];
  dropped: () => DroppedRequest[];
  onResult: (r: RequestResult) => void;
} {
  const results: RequestResult[] = [];
  return {
    results,
    completed: () => results.filter((r): r is CompletedRequest => r.kind === 'completed'),
    dropped: () => results.filter((r): r is DroppedRequest => r.kind === 'dropped'),
    onResult: (r) => results.push(r),
  };
}

let server: StartedOrderServer | undefined;
let client: OrderClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function setUp(
  maxInFlight: number,
  delayFor: (atMs: number) => number,
): Promise<{ server: StartedOrderServer; client: OrderClient }> {
  server = await startOrderServer(delayFor);
  client = createOrderClient({ baseUrl: server.url, maxSockets: maxInFlight, timeoutMs: 3000 });
  return { server, client };
}

describe('open-model generator against a local HTTP server', () => {
  it('holds 200/s for 2 s within a few percent, sending each request at its due time', async () => {
    const { server, client } = await setUp(50, () => 5);
    const schedule = constant(200, 2);
    const c = collect();
    const run = startOpenModel({ schedule, maxInFlight: 50, request: orderRequest(client, 1), onResult: c.onResult, startGraceMs: 50 });
    let midRun: LiveStats | undefined;
    setTimeout(() => (midRun = run.stats()), 1200);
    const summary = await run.done;

    console.info(
      `200/s x 2 s: achieved ${summary.achievedRate.toFixed(2)}/s (server saw ${serverRate(server).toFixed(2)}/s), ` +
        `sent ${summary.sent}, dropped ${summary.dropped}, p99 ${summary.latencyMs.p99?.toFixed(1)} ms`,
    );
    expect(summary).toMatchObject({ planned: 400, scheduled: 400, failed: 0, stoppedEarly: false });
    // On an idle machine nothing is dropped; a CPU-starved one may stall past the grace now and then, and then
    // the generator must drop (as 'late'), not send late.
    expect(summary.dropped).toBeLessThanOrEqual(8);
    for (const d of c.dropped()) expect(d.reason).toBe('late');
    expect(summary.ok).toBe(summary.sent);
    expect(Math.abs(summary.achievedRate - 200) / 200).toBeLessThan(0.03);
    expect(Math.abs(serverRate(server) - 200) / 200).toBeLessThan(0.03);
    expect(server.received).toHaveLength(summary.sent);
    // The server saw order i never before its due time, never later than the grace (+ transit), typically at once.
    const lateness = server.received.map((r) => r.atMs - run.startTime - schedule.offsetMs(indexOfId(r.id))).sort((a, b) => a - b);
    expect(lateness[0]!).toBeGreaterThanOrEqual(0);
    expect(lateness.at(-1)!).toBeLessThan(50 + 25);
    expect(lateness[Math.floor(lateness.length / 2)]!).toBeLessThan(5);
    // Live stats mid-run: about 200/s over the last second, never over the in-flight limit.
    expect(midRun!.currentRate).toBeGreaterThan(170);
    expect(midRun!.currentRate).toBeLessThan(230);
    expect(midRun!.inFlight).toBeLessThanOrEqual(50);
    expect(midRun!.sent).toBeGreaterThan(200);
  });

  it('holds 1000/s for 2 s by starting due requests in batches from one timer', async () => {
    const { server, client } = await setUp(200, () => 2);
    const summary = await runOpenModel({ schedule: constant(1000, 2), maxInFlight: 200, request: orderRequest(client, 2) });
    console.info(
      `1000/s x 2 s: achieved ${summary.achievedRate.toFixed(2)}/s (server saw ${serverRate(server).toFixed(2)}/s), ` +
        `sent ${summary.sent}, dropped ${summary.dropped}, p99 ${summary.latencyMs.p99?.toFixed(1)} ms`,
    );
    expect(summary.sent + summary.dropped).toBe(2000);
    expect(summary.ok).toBe(summary.sent);
    // Looser than the 200/s case: on a busy 2-core machine a few starts may miss their grace and be dropped.
    expect(Math.abs(summary.achievedRate - 1000) / 1000).toBeLessThan(0.08);
    expect(Math.abs(serverRate(server) - 1000) / 1000).toBeLessThan(0.08);
  });

  it('drops, counts and never sends late the requests a slow server leaves no slot for', async () => {
    // 100/s against a server that takes 200 ms, with 5 slots: capacity is 25/s, so about 3 in 4 must be dropped.
    const { server, client } = await setUp(5, () => 200);
    const schedule = constant(100, 1);
    const c = collect();
    const run = startOpenModel({ schedule, maxInFlight: 5, request: orderRequest(client, 3), onResult: c.onResult, startGraceMs: 50 });
    const summary = await run.done;

    console.info(`slow server: sent ${summary.sent}, dropped ${summary.dropped} (no slot ${summary.droppedNoFreeSlot})`);
    expect(summary.sent + summary.dropped).toBe(100);
    expect(summary.droppedNoFreeSlot).toBeGreaterThanOrEqual(60);
    expect(summary.sent).toBeLessThanOrEqual(35);
    expect(c.dropped()).toHaveLength(summary.dropped);
    expect(server.maxConcurrent).toBeLessThanOrEqual(5);
    expect(server.received).toHaveLength(summary.sent);
    // Nothing sent late: every request that went out left within the grace of its due time; dropped ones never arrived.
    for (const r of c.completed()) expect(r.startedMs - r.scheduledMs).toBeLessThanOrEqual(50);
    for (const r of server.received) expect(r.atMs - run.startTime - schedule.offsetMs(indexOfId(r.id))).toBeLessThan(50 + 25);
    const arrivedIds = new Set(server.received.map((r) => indexOfId(r.id)));
    for (const d of c.dropped()) expect(arrivedIds.has(d.index)).toBe(false);
  });

  it('measures latency from the due time: a 300 ms server stall shows up in the requests that waited behind it', async () => {
    let stallFrom = Infinity;
    let stallUntil = Infinity;
    const { client } = await setUp(100, (at) => (at >= stallFrom && at < stallUntil ? stallUntil - at : 1));
    const c = collect();
    const run = startOpenModel({ schedule: constant(100, 1.5), maxInFlight: 100, request: orderRequest(client, 4), onResult: c.onResult });
    stallFrom = run.startTime + 500;
    stallUntil = run.startTime + 800;
    const summary = await run.done;

    console.info(
      `stall: p50 ${summary.latencyMs.p50?.toFixed(1)} ms, p99 ${summary.latencyMs.p99?.toFixed(1)} ms, ` +
        `max ${summary.latencyMs.max?.toFixed(1)} ms`,
    );
    expect(summary.sent + summary.dropped).toBe(150);
    expect(summary.dropped).toBeLessThanOrEqual(3); // only a CPU-starved machine drops any here
    expect(summary.ok).toBe(summary.sent);
    const completed = c.completed();
    // Requests due during the stall were still sent on time (open model) and waited until it ended.
    for (const r of completed.filter((r) => r.scheduledMs >= 510 && r.scheduledMs <= 750)) {
      expect(r.startedMs - r.scheduledMs).toBeLessThan(50);
      expect(r.latencyMs).toBeGreaterThanOrEqual(800 - r.scheduledMs - 5);
      expect(r.latencyMs).toBeLessThan(800 - r.scheduledMs + 60);
    }
    // Before the stall and well after it, requests are fast again.
    for (const r of completed.filter((r) => r.scheduledMs < 450 || r.scheduledMs > 900)) expect(r.latencyMs).toBeLessThan(100);
    expect(summary.latencyMs.max!).toBeGreaterThan(250);
    expect(summary.latencyMs.p90!).toBeGreaterThan(50);
  });
});

describe('open-model generator timing rules (no HTTP)', () => {
  const fastRequest = async (): Promise<{ ok: boolean }> => {
    await sleep(1);
    return { ok: true };
  };

  it('a blocked event loop: starts within the grace count their lateness in latency, later ones are dropped as late', async () => {
    const c = collect();
    const run = startOpenModel({
      schedule: constant(100, 1),
      maxInFlight: 50,
      request: fastRequest,
      onResult: c.onResult,
      startGraceMs: 50,
    });
    setTimeout(() => {
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // a 150 ms synchronous stall, like a long GC pause or a big JSON.parse
      }
    }, 300);
    const summary = await run.done;

    console.info(`blocked loop: sent ${summary.sent}, dropped late ${summary.droppedLate}`);
    expect(summary.sent + summary.dropped).toBe(100);
    expect(summary.droppedLate).toBeGreaterThanOrEqual(5);
    for (const d of c.dropped()) expect(d.reason).toBe('late');
    const completed = c.completed();
    for (const r of completed) {
      expect(r.startedMs - r.scheduledMs).toBeLessThanOrEqual(50);
      // latency from the due time = lateness + service time: the stall is not hidden
      expect(r.latencyMs).toBeCloseTo(r.startedMs - r.scheduledMs + r.serviceMs, 6);
    }
    expect(Math.max(...completed.map((r) => r.latencyMs - r.serviceMs))).toBeGreaterThan(20);
    expect(summary.latencyMs.max!).toBeGreaterThan(summary.serviceTimeMs.max!);
  });

  it('stops early on its signal, keeping what it measured', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const before = performance.now();
    const summary = await runOpenModel({ schedule: constant(100, 30), maxInFlight: 10, request: fastRequest, signal: controller.signal });
    expect(performance.now() - before).toBeLessThan(1500);
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.planned).toBe(3000);
    expect(summary.sent).toBeGreaterThan(15);
    expect(summary.sent).toBeLessThan(60);
    expect(summary.ok).toBe(summary.sent);
    expect(summary.achievedRate).toBeGreaterThan(80);
  });

  it('abandons requests that never settle once the drain timeout runs out, and counts them as failed', async () => {
    const signals: AbortSignal[] = [];
    const summary = await runOpenModel({
      schedule: constant(20, 1),
      maxInFlight: 100,
      request: (i, signal) => {
        signals.push(signal);
        return i === 3 ? new Promise(() => {}) : Promise.resolve({ ok: true });
      },
      drainTimeoutMs: 100,
    });
    expect(summary).toMatchObject({ sent: 20, ok: 19, failed: 1, abandoned: 1 });
    expect(signals[3]!.aborted).toBe(true);
    expect(summary.durationMs).toBeLessThan(1500);
  });

  it('a request that throws or resolves with garbage is a failure, not a crash', async () => {
    const c = collect();
    const summary = await runOpenModel({
      schedule: constant(20, 1),
      maxInFlight: 5,
      request: (i) => {
        if (i % 2 === 0) throw new Error('boom');
        return Promise.resolve(undefined as unknown as { ok: boolean });
      },
      onResult: c.onResult,
    });
    expect(summary).toMatchObject({ sent: 20, ok: 0, failed: 20 });
    expect(c.completed()[0]!.outcome.error).toBe('Error: boom');
  });

  it('an onResult that throws rejects the run with a named error', async () => {
    await expect(
      runOpenModel({
        schedule: constant(20, 1),
        maxInFlight: 5,
        request: fastRequest,
        onResult: () => {
          throw new Error('history disk full');
        },
      }),
    ).rejects.toThrow(ResultCallbackError);
  });

  it('an empty schedule finishes at once', async () => {
    const summary = await runOpenModel({ schedule: constant(0, 1), maxInFlight: 1, request: fastRequest });
    expect(summary).toMatchObject({ planned: 0, sent: 0, achievedRate: 0 });
  });

  it('refuses a bad maxInFlight', () => {
    expect(() => startOpenModel({ schedule: constant(1, 1), maxInFlight: 0, request: fastRequest })).toThrow(
      /maxInFlight: expected an integer >= 1, got 0/,
    );
  });
});
