import { afterEach, describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../../load/cli-options.ts';
import { UsageError } from '../../../load/usage-error.ts';
import { startOrderLoad } from '../../../load/order-load.ts';
import { resolveProfile } from '../../../load/profiles.ts';
import { ACCEPTED, IN_DOUBT, startFlakyOrderServer, type StartedFlakyOrderServer } from './flaky-order-server.ts';

// `npm run load -- --client-retries N`: the standalone load retries only when asked (k6 does not retry).

let server: StartedFlakyOrderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startOrderLoad client retries', () => {
  it('sends each order once by default', async () => {
    server = await startFlakyOrderServer(() => IN_DOUBT);
    const summary = await startOrderLoad({ apiUrl: server.url, profile: resolveProfile('smoke', { rate: 10, duration: 1 }), seed: 1 }).done;
    expect(server.received).toHaveLength(10);
    expect(summary.retries).toMatchObject({ clientRetries: 0, needed: 10, attempts: 0, gaveUp: 10 });
  });

  it('with --client-retries re-sends an in-doubt order with the same id until accepted', async () => {
    server = await startFlakyOrderServer((_, nth) => (nth === 1 ? IN_DOUBT : ACCEPTED));
    const summary = await startOrderLoad({
      apiUrl: server.url,
      profile: resolveProfile('smoke', { rate: 10, duration: 1 }),
      seed: 1,
      clientRetries: 2,
    }).done;
    expect(server.received).toHaveLength(20);
    for (let i = 0; i < 10; i++) expect(server.attemptsOf(`order-1-${i}`).map((r) => r.nth)).toEqual([1, 2]);
    expect(summary).toMatchObject({ sent: 10, failed: 10 });
    expect(summary.retries).toMatchObject({ clientRetries: 2, needed: 10, attempts: 10, recovered: 10, gaveUp: 0 });
  }, 10_000);
});

describe('parseLoadArgs --client-retries', () => {
  it('takes 0 to 20', () => {
    expect(parseLoadArgs(['--client-retries', '0']).clientRetries).toBe(0);
    expect(parseLoadArgs(['--client-retries', '20']).clientRetries).toBe(20);
    expect(parseLoadArgs([])).not.toHaveProperty('clientRetries');
  });

  it.each(['21', '-1', 'x', '1.5'])('refuses %s naming the range', (raw) => {
    expect(() => parseLoadArgs(['--client-retries', raw])).toThrow(UsageError);
    expect(() => parseLoadArgs([`--client-retries=${raw}`])).toThrow(/--client-retries: expected an integer/);
  });
});
