import { afterEach, describe, expect, it } from 'vitest';
import { startClientOrderLoad, type ClientOrderLoadOptions, type OrderAttemptRecord } from '../../../load/client-order-load.ts';
import { intentOf, orderMarker, type OrderMix } from '../../../load/order-body.ts';
import { ACCEPTED, IN_DOUBT, startFlakyOrderServer, type Answerer, type StartedFlakyOrderServer } from './flaky-order-server.ts';

// The harness's client against a stand-in API: every attempt recorded, in-doubt and unavailable answers retried
// with the same id and body, never a 4xx, and retries kept out of the generator's in-flight slots.

let server: StartedFlakyOrderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Short waits so a test takes a second, not a real client's 30 s. */
const FAST = { baseDelayMs: 20, maxDelayMs: 1_000 };

async function runLoad(answer: Answerer, over: Partial<ClientOrderLoadOptions> = {}) {
  server = await startFlakyOrderServer(answer);
  const records: OrderAttemptRecord[] = [];
  const load = startClientOrderLoad({
    apiUrl: server.url,
    rate: 20,
    durationSeconds: 1,
    seed: 1,
    retryTiming: FAST,
    record: (r) => void (r.kind === 'order-request' && records.push(r)),
    ...over,
  });
  return { load, records, summary: await load.done, server };
}

const byOrder = (records: OrderAttemptRecord[]) => {
  const m = new Map<string, OrderAttemptRecord[]>();
  for (const r of records) m.set(r.orderId, [...(m.get(r.orderId) ?? []), r]);
  return m;
};

/** Orders whose index is a multiple of 3 are in doubt for their first (index % 4) + 1 attempts. */
const refusedFirst = (id: string | undefined): number => {
  const i = Number(id?.split('-')[2]);
  return i % 3 === 0 ? (i % 4) + 1 : 0;
};

describe('startClientOrderLoad: client retries', () => {
  it('re-sends an in-doubt order with the same id and body until accepted, recording attempts 1..k+1', async () => {
    const { records, summary, server } = await runLoad((id, nth) => (nth <= refusedFirst(id) ? IN_DOUBT : ACCEPTED));
    expect(summary.sent).toBe(20);
    const orders = byOrder(records);
    expect(orders.size).toBe(20);
    for (const [id, attempts] of orders) {
      const k = refusedFirst(id);
      expect(attempts.map((a) => a.attempt)).toEqual(Array.from({ length: k + 1 }, (_, n) => n + 1));
      expect(attempts.map((a) => a.outcome)).toEqual([...Array<string>(k).fill('info'), 'ok']);
      expect(attempts.every((a) => a.intent === 'normal')).toBe(true);
      const bodies = server.attemptsOf(id).map((r) => r.body);
      expect(bodies).toHaveLength(k + 1);
      expect(new Set(bodies).size).toBe(1);
    }
    const needed = [...orders.keys()].filter((id) => refusedFirst(id) > 0);
    expect(summary.retries).toMatchObject({
      clientRetries: 5,
      needed: needed.length,
      attempts: needed.reduce((n, id) => n + refusedFirst(id), 0),
      recovered: needed.length,
      gaveUp: 0,
      abandoned: 0,
    });
    // The generator's figures stay about first attempts.
    expect(summary.ok).toBe(20 - needed.length);
    expect(summary.failed).toBe(needed.length);
  });

  it('waits longer before each further retry', async () => {
    // Waits of 40 x 2^k ms stretched by up to half: [40, 60), [80, 120), ...
    const BASE = 40;
    const { server } = await runLoad((id, nth) => (id === 'order-1-0' && nth <= 5 ? IN_DOUBT : ACCEPTED), {
      durationSeconds: 0.1,
      rate: 10,
      retryTiming: { baseDelayMs: BASE, maxDelayMs: 10_000 },
    });
    const at = server.attemptsOf('order-1-0').map((r) => r.atMs);
    expect(at).toHaveLength(6);
    const gaps = at.slice(1).map((t, k) => t - at[k]!);
    // A stalled event loop can only lengthen a gap (the next wait starts after the late answer): lower bounds hold.
    gaps.forEach((gap, k) => expect(gap).toBeGreaterThanOrEqual(BASE * 2 ** k - 2));
    const longest = gaps.reduce((n, _, k) => n + BASE * 2 ** k * 1.5, 0);
    expect(at.at(-1)! - at[0]!).toBeLessThan(longest + 500);
  });

  it('waits at least the Retry-After the API sent', async () => {
    const { server } = await runLoad(
      (id, nth) => (id === 'order-1-0' && nth === 1 ? { ...IN_DOUBT, headers: { 'retry-after': '1' } } : ACCEPTED),
      {
        durationSeconds: 0.1,
        rate: 10,
      },
    );
    const at = server.attemptsOf('order-1-0').map((r) => r.atMs);
    expect(at).toHaveLength(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1_000 - 2);
    expect(at[1]! - at[0]!).toBeLessThan(1_000 + 500);
  });

  it('never retries a 400 or a 409', async () => {
    const { records, summary, server } = await runLoad((id) => {
      const i = Number(id?.split('-')[2]);
      return i % 2 === 0 ? { status: 400, body: { error: 'invalid order' } } : { status: 409, body: { error: 'conflict' } };
    });
    expect(server.received).toHaveLength(20);
    expect(records.every((r) => r.attempt === 1 && r.outcome === 'fail')).toBe(true);
    expect(summary.retries).toMatchObject({ needed: 0, attempts: 0 });
  });

  it('retries a timeout, a connection reset and a 500 as well', async () => {
    const { records, summary } = await runLoad(
      (id, nth) => {
        if (nth > 1) return ACCEPTED;
        const i = Number(id?.split('-')[2]);
        if (i === 0) return { ...ACCEPTED, delayMs: 1_000 }; // past the request timeout
        if (i === 1) return { status: 500, body: { error: 'internal error' } };
        return ACCEPTED;
      },
      { requestTimeoutMs: 200, durationSeconds: 0.2, rate: 10 },
    );
    const orders = byOrder(records);
    expect(orders.get('order-1-0')!.map((a) => [a.attempt, a.outcome, a.error ?? ''])).toEqual([
      [1, 'info', 'timeout'],
      [2, 'ok', ''],
    ]);
    expect(orders.get('order-1-1')!.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 202],
    ]);
    expect(summary.retries).toMatchObject({ needed: 2, recovered: 2 });
  });

  it('with clientRetries 0 sends each order once', async () => {
    const { records, summary, server } = await runLoad(() => IN_DOUBT, { clientRetries: 0 });
    expect(server.received).toHaveLength(20);
    expect(new Set(server.received.map((r) => r.id)).size).toBe(20);
    expect(records.every((r) => r.attempt === 1)).toBe(true);
    expect(summary.retries).toMatchObject({ clientRetries: 0, needed: 20, attempts: 0, gaveUp: 20 });
  });

  it('stops retrying an order at its deadline, even with retries left', async () => {
    const { records, summary, server } = await runLoad(() => IN_DOUBT, {
      rate: 10,
      durationSeconds: 0.2,
      clientRetries: 20,
      retryTiming: { baseDelayMs: 20, maxDelayMs: 1_000, deadlineMs: 400 },
    });
    expect(summary.retries.gaveUp).toBe(2);
    expect(summary.retries.gaveUpBy.deadline).toBe(2);
    for (const id of ['order-1-0', 'order-1-1']) {
      const at = server.attemptsOf(id).map((r) => r.atMs);
      expect(at.length).toBeGreaterThan(2);
      expect(at.length).toBeLessThan(8);
      expect(at.at(-1)! - at[0]!).toBeLessThan(400);
    }
    expect(records.at(-1)!.outcome).toBe('info');
  });

  it('records each order’s intent on every attempt', async () => {
    const mix: OrderMix = { poison: 0.3, flash: 0.3 };
    const { records } = await runLoad((id, nth) => (nth === 1 && Number(id?.split('-')[2]) % 2 === 0 ? IN_DOUBT : ACCEPTED), { mix });
    const intents = new Set(records.map((r) => r.intent));
    expect(intents).toEqual(new Set(['normal', 'poison', 'expire']));
    for (const r of records) expect(r.intent).toBe(intentOf(orderMarker(1, Number(r.orderId.split('-')[2]), mix)));
    expect(records.some((r) => r.attempt === 2 && r.intent !== 'normal')).toBe(true);
  });

  it('aborting abandons pending retries: nothing is sent afterwards', async () => {
    server = await startFlakyOrderServer(() => IN_DOUBT);
    const records: OrderAttemptRecord[] = [];
    const load = startClientOrderLoad({
      apiUrl: server.url,
      rate: 20,
      durationSeconds: 5,
      seed: 1,
      retryTiming: { baseDelayMs: 100, maxDelayMs: 1_000 },
      record: (r) => void (r.kind === 'order-request' && records.push(r)),
    });
    await new Promise((r) => setTimeout(r, 500));
    load.abort();
    const started = performance.now();
    const summary = await load.done;
    expect(performance.now() - started).toBeLessThan(1_000);
    const sentBefore = server.received.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(server.received.length).toBe(sentBefore);
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.retries.abandoned).toBeGreaterThan(0);
    expect(summary.retries.needed).toBe(summary.retries.recovered + summary.retries.gaveUp + summary.retries.abandoned);
    expect(records).toHaveLength(server.received.length);
  });

  it('stop() ends dispatch but lets sent orders finish their retries', async () => {
    server = await startFlakyOrderServer((_, nth) => (nth <= 2 ? IN_DOUBT : ACCEPTED));
    const load = startClientOrderLoad({ apiUrl: server.url, rate: 20, durationSeconds: 5, seed: 1, retryTiming: FAST, record: () => {} });
    await new Promise((r) => setTimeout(r, 300));
    load.stop();
    const summary = await load.done;
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.retries.needed).toBe(summary.sent);
    expect(summary.retries.recovered).toBe(summary.sent);
  });
});

describe('startClientOrderLoad: retries stay out of the generator’s slots', () => {
  it('keeps the first-attempt rate and drops nothing while the API refuses every order five times', async () => {
    // 100/s gives the generator 200 slots. Every order is refused 5 times and accepted at its 5th retry,
    // 3.1-4.7 s after its first attempt: retries that kept their slot would hold 300+ orders at once and
    // drop arrivals. Out of the slots, none is dropped.
    const RATE = 100;
    const { summary, records } = await runLoad((_, nth) => (nth <= 5 ? { ...IN_DOUBT, delayMs: 20 } : ACCEPTED), {
      rate: RATE,
      durationSeconds: 3,
      retryTiming: { baseDelayMs: 100, maxDelayMs: 10_000 },
      // Every retry at once: the budget is tested on its own below.
      retryBudgetPerSecond: 10_000,
    });
    expect(summary.dropped).toBe(0);
    expect(summary.sent).toBe(300);
    expect(summary.achievedRate).toBeGreaterThan(RATE * 0.95);
    expect(summary.retries).toMatchObject({ needed: 300, attempts: 1_500, recovered: 300, gaveUp: 0 });
    const lastOutcome = new Map(records.map((r) => [r.orderId, r.outcome]));
    expect([...lastOutcome.values()].every((o) => o === 'ok')).toBe(true);
  }, 20_000);

  it('keeps retries within the budget', async () => {
    // 50/s for 2 s, every order left in doubt once: 100 retries at 20/s take about 5 s (unbounded, well under 1 s).
    const { summary, server } = await runLoad((_, nth) => (nth === 1 ? { ...IN_DOUBT } : ACCEPTED), {
      rate: 50,
      durationSeconds: 2,
      retryTiming: { baseDelayMs: 10, maxDelayMs: 10 },
      retryBudgetPerSecond: 20,
    });
    expect(summary.retries).toMatchObject({ needed: 100, recovered: 100 });
    const retries = server.received.filter((r) => r.nth > 1);
    const spanSeconds = (Math.max(...retries.map((r) => r.atMs)) - Math.min(...retries.map((r) => r.atMs))) / 1000;
    expect(spanSeconds).toBeGreaterThan(3.5);
  }, 30_000);
});
