import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidRetryPolicyError } from '../../../load/client-retry.ts';
import { InvalidWorkloadError } from '../../../load/http-workload.ts';
import { startClientLoad } from '../../../harness/runner/client-load.ts';
import type { OrderRequestEvent } from '../../../instrument/history-event.ts';
import { ACCEPTED, IN_DOUBT, startFlakyOrderServer, type StartedFlakyOrderServer } from '../load/flaky-order-server.ts';

// The harness's load in its worker thread, against a stand-in API: the client history holds every attempt
// with its intent and number, and the summary the runner gets carries the retry figures.

let server: StartedFlakyOrderServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const readHistory = (file: string): OrderRequestEvent[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as OrderRequestEvent);

describe('startClientLoad', () => {
  it('writes every attempt with its intent and attempt number, and resolves with the retry figures', async () => {
    server = await startFlakyOrderServer((id, nth) => (nth === 1 && Number(id?.split('-')[2]) % 2 === 0 ? IN_DOUBT : ACCEPTED));
    dir = mkdtempSync(join(tmpdir(), 'client-load-'));
    const historyFile = join(dir, 'client.jsonl');
    const load = startClientLoad(
      { apiUrl: server.url, rate: 20, durationSeconds: 0.5, seed: 1, historyFile, mix: { poison: 0.2, flash: 0.2 } },
      new AbortController().signal,
    );
    const summary = await load.done;
    expect(summary.sent).toBe(10);
    expect(summary.retries).toMatchObject({ clientRetries: 5, needed: 5, attempts: 5, recovered: 5, gaveUp: 0 });
    const events = readHistory(historyFile);
    expect(events).toHaveLength(15);
    for (const e of events) {
      expect(e).toMatchObject({ kind: 'order-request', proc: 'client' });
      expect(['normal', 'poison', 'expire']).toContain(e.intent);
    }
    const retried = events.filter((e) => e.attempt === 2);
    expect(retried.map((e) => e.orderId).sort()).toEqual(['order-1-0', 'order-1-2', 'order-1-4', 'order-1-6', 'order-1-8']);
    expect(retried.every((e) => e.outcome === 'ok')).toBe(true);
    expect(load.accepted()).toBe(10);
  }, 15_000);

  it('sends each order once with clientRetries 0', async () => {
    server = await startFlakyOrderServer(() => IN_DOUBT);
    dir = mkdtempSync(join(tmpdir(), 'client-load-'));
    const historyFile = join(dir, 'client.jsonl');
    const summary = await startClientLoad(
      { apiUrl: server.url, rate: 20, durationSeconds: 0.5, seed: 1, historyFile, clientRetries: 0 },
      new AbortController().signal,
    ).done;
    expect(server.received).toHaveLength(10);
    expect(readHistory(historyFile).every((e) => e.attempt === 1 && e.intent === 'normal')).toBe(true);
    expect(summary.retries).toMatchObject({ clientRetries: 0, needed: 10, attempts: 0, gaveUp: 10 });
  }, 15_000);

  it("sends a target's workload: its path, an id-only body, its statuses read as accepted and refused", async () => {
    const received: { url: string; body: string }[] = [];
    const api = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ url: req.url ?? '', body });
        const id = (JSON.parse(body) as { id: string }).id;
        // Every even order is refused once, plainly (no body): the workload says 503 means "not taken".
        const refused = Number(id.split('-')[2]) % 2 === 0 && received.filter((r) => r.body === body).length === 1;
        res.writeHead(refused ? 503 : 202).end();
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    try {
      dir = mkdtempSync(join(tmpdir(), 'client-load-'));
      const historyFile = join(dir, 'client.jsonl');
      const workload = { path: '/v1/take', body: 'id-only', okStatuses: [202], refusedStatuses: [503] } as const;
      const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
      const summary = await startClientLoad(
        { apiUrl: url, rate: 20, durationSeconds: 0.5, seed: 1, historyFile, workload },
        new AbortController().signal,
      ).done;
      expect(summary.sent).toBe(10);
      expect(new Set(received.map((r) => r.url))).toEqual(new Set(['/v1/take']));
      expect(received[0]!.body).toBe(JSON.stringify({ id: 'order-1-0' }));
      const events = readHistory(historyFile);
      const first = events.filter((e) => e.attempt === 1);
      expect(
        first
          .filter((e) => e.outcome === 'fail')
          .map((e) => e.orderId)
          .sort(),
      ).toEqual(['order-1-0', 'order-1-2', 'order-1-4', 'order-1-6', 'order-1-8']);
      expect(events.filter((e) => e.attempt === 2).every((e) => e.outcome === 'ok' && e.intent === 'normal')).toBe(true);
    } finally {
      await new Promise((r) => api.close(r));
    }
  }, 15_000);

  it('refuses an order mix the workload cannot carry before starting anything', () => {
    const workload = { path: '/orders', body: 'id-only', okStatuses: [202], refusedStatuses: [503] } as const;
    expect(() =>
      startClientLoad(
        {
          apiUrl: 'http://127.0.0.1:1',
          rate: 1,
          durationSeconds: 1,
          seed: 1,
          historyFile: '/nonexistent/x',
          workload,
          mix: { poison: 0.1 },
        },
        new AbortController().signal,
      ),
    ).toThrow(InvalidWorkloadError);
  });

  it('refuses a retry count out of range before starting anything', () => {
    expect(() =>
      startClientLoad(
        { apiUrl: 'http://127.0.0.1:1', rate: 1, durationSeconds: 1, seed: 1, historyFile: '/nonexistent/x', clientRetries: 99 },
        new AbortController().signal,
      ),
    ).toThrow(InvalidRetryPolicyError);
  });
});
