// Question: against a live run (private broker, the embedded proxy in front of it, the whole order
// system, harness metrics, a private Prometheus scraping all of them), does every query of every
// Grafana dashboard find data, and does none of them error? A dashboard that shows "No data" during
// a chaos run hides the fault. The one source this run lacks, k6, is skipped with its reason.
import amqp from 'amqplib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { StartedReferenceSystem } from '../../support/reference-system.ts';
import { StartedPrometheus } from '../../../harness/env/prometheus-server.ts';
import { StartedProxyEnv } from '../../../harness/env/proxy-env.ts';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import { liveChildren } from '../../../harness/env/child-registry.ts';
import { describeFailures, evaluateQueries, OPTIONAL_SOURCES, runDashboardCheck } from '../../../harness/metrics/dashboard-queries.ts';
import { StartedHarnessMetrics } from '../../../harness/metrics/harness-metrics.ts';
import { runScrapeTargets } from '../../../harness/metrics/run-targets.ts';
import { arrivalSchedule } from '../../../load/arrival-schedule.ts';
import { startOpenModel } from '../../../load/open-model-generator.ts';

const RATE = 50;
const LOAD_SECONDS = 15;
const FAULT = 'fake-partition';
const FAULT_AT_MS = 3_000;
const FAULT_FOR_MS = 5_000;
/** Payments take 100 ms per order: let the last orders finish before reading latencies. */
const SETTLE_MS = 3_000;
const REQUEST_TIMEOUT_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('every dashboard query returns series and none errors against a live run', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dashboards-'));
  let broker: StartedRabbitNode | undefined;
  let proxies: StartedProxyEnv | undefined;
  let system: StartedReferenceSystem | undefined;
  let harness: StartedHarnessMetrics | undefined;
  let prometheus: StartedPrometheus | undefined;
  const timers: NodeJS.Timeout[] = [];
  try {
    broker = await StartedRabbitNode.start({ dir: join(dir, 'broker') });
    const node = broker;
    proxies = await StartedProxyEnv.start({ brokerHost: node.host, brokerPort: node.amqpPort, logFile: join(dir, 'toxiproxy.log') });
    system = await StartedReferenceSystem.start(
      dir,
      proxies.endpoints((host, port) => node.amqpUrl(host, port)),
    );
    harness = await StartedHarnessMetrics.start();
    harness.setRunInfo('dashboards-test');
    harness.declareFaults([FAULT]);
    harness.setTargetRate(RATE);
    prometheus = await StartedPrometheus.start({
      dir: join(dir, 'prometheus'),
      targets: runScrapeTargets({ broker, system, harness, proxies }),
    });
    const start = new Date();

    const apiUrl = system.apiUrl;
    const run = startOpenModel({
      schedule: arrivalSchedule({ kind: 'constant', ratePerSecond: RATE, durationSeconds: LOAD_SECONDS }),
      maxInFlight: 100,
      request: async (i, signal) => {
        const response = await fetch(`${apiUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: `user-${i % 10}`, items: [{ productId: 'p-1', quantity: 1, price: 1.5 }] }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        });
        await response.arrayBuffer();
        return { ok: response.ok, status: response.status };
      },
    });
    const tracked = harness;
    tracked.trackLoad(() => run.stats());
    timers.push(setTimeout(() => tracked.setFaultActive(FAULT, true), FAULT_AT_MS));
    timers.push(setTimeout(() => tracked.setFaultActive(FAULT, false), FAULT_AT_MS + FAULT_FOR_MS));

    // A poison message (not JSON) is rejected by its consumers and dead-lettered: dead letters exist.
    const connection = await amqp.connect(broker.amqpUrl());
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish('orders', 'order.created', Buffer.from('this is not an order'), { persistent: true, messageId: 'poison-1' });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }

    // One order that is refused (invalid), so the rejected-orders series moves too.
    expect((await fetch(`${apiUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(
      400,
    );

    const summary = await run.done;
    expect(summary.ok).toBeGreaterThan(RATE * LOAD_SECONDS * 0.9);
    await sleep(SETTLE_MS);
    harness.setCheckResults({ 'zero-loss': { valid: true }, 'dashboards-test': { valid: 'unknown' } });
    const targets = await prometheus.waitForScrapes({ after: new Date(), timeoutMs: 10_000 });
    expect(targets.filter((t) => t.health !== 'up').map((t) => `${t.scrapeUrl}: ${t.lastError}`)).toEqual([]);
    // The system's own view, before judging the dashboards: orders completed end to end.
    const completed = await prometheus.query('sum(order_system_order_latency_seconds_count{outcome="completed"})');
    expect(completed.resultType === 'vector' && Number(completed.result[0]?.value[1])).toBeGreaterThan(RATE * LOAD_SECONDS * 0.9);

    const deadLetters = await prometheus.query('sum(order_system_dead_letters_total{reason="rejected"})');
    expect(deadLetters.resultType === 'vector' && Number(deadLetters.result[0]?.value[1])).toBeGreaterThanOrEqual(1);

    const window = { start, end: new Date(), stepSeconds: 1 };
    const { checks, skipped } = await runDashboardCheck(prometheus, window);
    expect(checks.length).toBeGreaterThan(80);
    expect(describeFailures(checks)).toBe('');
    // The proxy's byte counters are proven here; only k6's queries wait for a k6 run.
    expect(checks.filter((c) => c.optionalSource === 'toxiproxy').length).toBeGreaterThanOrEqual(2);
    expect(skipped.length).toBeGreaterThan(0);
    for (const q of skipped) expect(q).toMatchObject({ optionalSource: 'k6', reason: OPTIONAL_SOURCES[0]!.absentBecause });

    // The check itself can fail: a broken query errors, a missing metric finds nothing.
    const base = { dashboard: 'probe', source: 'panel' as const, name: 'probe' };
    const probes = await evaluateQueries(
      prometheus,
      [
        { ...base, expr: 'sum(rate(x[', promql: 'sum(rate(x[' },
        { ...base, expr: 'no_such_metric_total', promql: 'no_such_metric_total' },
      ],
      window,
    );
    expect(probes.map((p) => p.status)).toEqual(['errored', 'no-series']);
  } finally {
    for (const t of timers) clearTimeout(t);
    await prometheus?.stop().catch(() => {});
    await harness?.stop().catch(() => {});
    await system?.stop().catch(() => {});
    await proxies?.stop().catch(() => {});
    await broker?.dispose().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  expect(liveChildren()).toEqual([]);
});
