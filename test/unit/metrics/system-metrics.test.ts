import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MeteredHistoryWriter } from '../../../system/metrics/metered-history.ts';
import { startMetricsServer, type MetricsServer } from '../../../system/metrics/metrics-http.ts';
import { PUBLISH_OUTCOMES, SystemMetrics } from '../../../system/metrics/system-metrics.ts';

/** `name{labels} value` lines of an exposition, without comments. */
async function samples(metrics: SystemMetrics): Promise<string[]> {
  return (await metrics.expose()).body.split('\n').filter((l) => l && !l.startsWith('#'));
}

/** The value of the one series called `name` whose labels are exactly `labels` (in any order). */
function value(lines: string[], series: string): number | undefined {
  const wanted = parseSeries(series);
  const line = lines.find((l) => {
    const got = parseSeries(l.slice(0, l.lastIndexOf(' ')));
    return got.name === wanted.name && got.labels.length === wanted.labels.length && wanted.labels.every((x) => got.labels.includes(x));
  });
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function parseSeries(series: string): { name: string; labels: string[] } {
  const brace = series.indexOf('{');
  if (brace < 0) return { name: series, labels: [] };
  return { name: series.slice(0, brace), labels: series.slice(brace + 1, -1).match(/[A-Za-z_]+="[^"]*"/g) ?? [] };
}

describe('SystemMetrics', () => {
  it('labels every series with role and proc and creates the dashboard series at zero', async () => {
    const m = new SystemMetrics({ role: 'api', instance: 'api-1' });
    const lines = await samples(m);
    expect(value(lines, 'order_system_orders_accepted_total{role="api",proc="api-1"}')).toBe(0);
    for (const reason of ['invalid', 'conflict', 'unavailable'])
      expect(value(lines, `order_system_orders_rejected_total{reason="${reason}",role="api",proc="api-1"}`)).toBe(0);
    for (const outcome of PUBLISH_OUTCOMES)
      expect(value(lines, `order_system_publishes_total{outcome="${outcome}",role="api",proc="api-1"}`)).toBe(0);
    expect(value(lines, 'order_system_amqp_connection_up{purpose="publish",role="api",proc="api-1"}')).toBe(0);
    // The API has no consuming connection and no queues.
    expect(lines.some((l) => l.includes('purpose="consume"'))).toBe(false);
    expect(lines.some((l) => l.startsWith('order_system_messages_delivered_total'))).toBe(false);
  });

  it('registers only the families of its role', async () => {
    const m = new SystemMetrics({ role: 'payments', instance: 'payments-1' });
    const text = (await m.expose()).body;
    expect(text).not.toContain('order_system_orders_accepted_total');
    expect(text).not.toContain('order_system_dead_letters_total');
    expect(text).not.toContain('order_system_order_latency_seconds');
    expect(text).toContain('order_system_amqp_connection_up{purpose="consume"');
  });

  it('counts consumer work per queue', async () => {
    const m = new SystemMetrics({ role: 'payments', instance: 'payments-1' });
    const q = m.queue('payment.process');
    expect(m.queue('payment.process')).toBe(q);
    q.received(false);
    q.received(true);
    q.processed(0.02);
    q.acked();
    q.nacked();
    q.rejected();
    q.released();
    const lines = await samples(m);
    const at = (name: string) => value(lines, `${name}{queue="payment.process",role="payments",proc="payments-1"}`);
    expect(at('order_system_messages_delivered_total')).toBe(2);
    expect(at('order_system_messages_redelivered_total')).toBe(1);
    expect(at('order_system_messages_acked_total')).toBe(1);
    expect(at('order_system_messages_nacked_total')).toBe(1);
    expect(at('order_system_messages_rejected_total')).toBe(1);
    expect(at('order_system_consumer_in_flight_messages')).toBe(1);
    expect(at('order_system_message_processing_seconds_count')).toBe(1);
    expect(
      value(lines, 'order_system_message_processing_seconds_bucket{le="0.025",queue="payment.process",role="payments",proc="payments-1"}'),
    ).toBe(1);
  });

  it('counts publishes by outcome through bound counters', async () => {
    const m = new SystemMetrics({ role: 'orders', instance: 'orders-1' });
    const count = m.publishCounters();
    count.confirmed();
    count.confirmed();
    count.in_doubt();
    const lines = await samples(m);
    expect(value(lines, 'order_system_publishes_total{outcome="confirmed",role="orders",proc="orders-1"}')).toBe(2);
    expect(value(lines, 'order_system_publishes_total{outcome="in_doubt",role="orders",proc="orders-1"}')).toBe(1);
  });

  it('observes end-to-end order latency by outcome', async () => {
    const m = new SystemMetrics({ role: 'orders', instance: 'orders-1' });
    m.orderFinished('completed', 0.3);
    m.orderFinished('completed', -1); // clock skew between processes never yields a negative observation
    const lines = await samples(m);
    expect(value(lines, 'order_system_order_latency_seconds_count{outcome="completed",role="orders",proc="orders-1"}')).toBe(2);
    expect(value(lines, 'order_system_order_latency_seconds_count{outcome="failed",role="orders",proc="orders-1"}')).toBe(0);
    expect(value(lines, 'order_system_order_latency_seconds_bucket{le="0.01",outcome="completed",role="orders",proc="orders-1"}')).toBe(1);
  });

  it('keeps dead-letter labels bounded', async () => {
    const m = new SystemMetrics({ role: 'dead-letter', instance: 'dead-letter-1' });
    m.deadLettered('order.created', 'rejected');
    m.deadLettered('some-queue-from-a-forged-header', 'because');
    const lines = await samples(m);
    expect(
      value(lines, 'order_system_dead_letters_total{queue="order.created",reason="rejected",role="dead-letter",proc="dead-letter-1"}'),
    ).toBe(1);
    expect(value(lines, 'order_system_dead_letters_total{queue="other",reason="other",role="dead-letter",proc="dead-letter-1"}')).toBe(1);
    expect(
      value(lines, 'order_system_dead_letters_total{queue="payment.process",reason="expired",role="dead-letter",proc="dead-letter-1"}'),
    ).toBe(0);
  });

  it('includes Node default metrics when asked', async () => {
    const m = new SystemMetrics({ role: 'orders', instance: 'orders-1', defaultMetrics: true });
    const text = (await m.expose()).body;
    expect(text).toMatch(/^process_cpu_seconds_total\{role="orders",proc="orders-1"\} /m);
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
  });
});

describe('MeteredHistoryWriter', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('still writes the history and feeds connection state and dead letters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metered-history-'));
    dirs.push(dir);
    const m = new SystemMetrics({ role: 'dead-letter', instance: 'dead-letter-1' });
    const history = new MeteredHistoryWriter(join(dir, 'h.jsonl'), 'dead-letter-1', m);
    history.append({ kind: 'lifecycle', event: 'connected', detail: 'dead-letter-1 publish' });
    history.append({ kind: 'lifecycle', event: 'connected', detail: 'dead-letter-1 consume' });
    history.append({ kind: 'lifecycle', event: 'disconnected', detail: 'dead-letter-1 consume: Socket closed abruptly' });
    history.append({ kind: 'lifecycle', event: 'blocked', detail: 'dead-letter-1 publish: low on memory' });
    history.append({ kind: 'lifecycle', event: 'connected', detail: 'someone-else publish' });
    history.append({ kind: 'dead-lettered', id: 'm1', queue: 'order.created', reason: 'rejected', count: 1 });
    history.close();
    expect(readFileSync(join(dir, 'h.jsonl'), 'utf8').trim().split('\n')).toHaveLength(6);
    const lines = await samples(m);
    const at = (name: string, purpose: string) => value(lines, `${name}{purpose="${purpose}",role="dead-letter",proc="dead-letter-1"}`);
    expect(at('order_system_amqp_connection_up', 'publish')).toBe(1);
    expect(at('order_system_amqp_connection_up', 'consume')).toBe(0);
    expect(at('order_system_amqp_disconnects_total', 'consume')).toBe(1);
    expect(at('order_system_amqp_connection_blocked', 'publish')).toBe(1);
    expect(
      value(lines, 'order_system_dead_letters_total{queue="order.created",reason="rejected",role="dead-letter",proc="dead-letter-1"}'),
    ).toBe(1);
  });
});

describe('metrics HTTP server', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves GET /metrics in the Prometheus text format and 404 elsewhere', async () => {
    const m = new SystemMetrics({ role: 'orders', instance: 'orders-1' });
    server = await startMetricsServer(m, '127.0.0.1', 0);
    expect(server.port).toBeGreaterThan(0);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toContain('order_system_publishes_total');
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
