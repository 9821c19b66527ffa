import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../../instrument/history-event.ts';
import { FAULT_SHADE_FILL } from '../../../harness/report/charts.ts';
import { reproduceCommand, renderRunReport } from '../../../harness/report/run-report.ts';
import type { BrokerSample } from '../../../harness/runner/broker-sampler.ts';
import type { RunResults } from '../../../harness/runner/run-results.ts';

const T0 = 1_800_000_000_000;
const CHARTS = ['rate', 'answers', 'latency', 'queueDepth', 'unacked', 'consumers', 'confirms'];

/** A 10 s run at 10 orders/s with a broker kill from 3 s to 5 s and one lost order. */
function run(): { results: RunResults; events: HistoryEvent[]; samples: BrokerSample[] } {
  const events: HistoryEvent[] = [];
  const samples: BrokerSample[] = [];
  for (let i = 0; i < 100; i++) {
    const sent = T0 + i * 100;
    const down = sent >= T0 + 3_000 && sent < T0 + 5_000;
    const orderId = `order-1-${i}`;
    events.push({ t: sent + 20, proc: 'client', kind: 'order-request', orderId, outcome: down ? 'info' : 'ok', latencyMs: 20, attempt: 1 });
    if (!down) {
      events.push({
        t: sent + 10,
        proc: 'api-1',
        kind: 'publish-attempt',
        id: `order.created:${orderId}`,
        orderId,
        exchange: 'orders',
        routingKey: 'order.created',
      });
      events.push({ t: sent + 15, proc: 'api-1', kind: 'publish-result', id: `order.created:${orderId}`, orderId, outcome: 'ok' });
    }
  }
  for (let s = 0; s < 10; s++)
    samples.push(
      s >= 3 && s < 5
        ? { t: T0 + s * 1000 + 500, reachable: false }
        : {
            t: T0 + s * 1000 + 500,
            reachable: true,
            queues: [{ name: 'order.created', ready: s, unacked: 1, consumers: 2 }],
            consumerConnections: ['orders-1 consume', 'orders-2 consume'],
          },
    );
  events.push({ t: T0 + 3_050, proc: 'harness', kind: 'fault', name: 'broker-kill', phase: 'start' });
  events.push({ t: T0 + 5_000, proc: 'harness', kind: 'fault', name: 'broker-kill', phase: 'stop' });
  events.sort((a, b) => a.t - b.t);
  const results = {
    scenario: 'broker-kill',
    proves: 'a broker crash <loses> nothing',
    target: { name: 'reference', ref: 'reference' },
    runDir: '/tmp/x',
    startedAt: new Date(T0 - 5_000).toISOString(),
    finishedAt: new Date(T0 + 20_000).toISOString(),
    loadStartedAtMs: T0,
    options: { rate: 10, duration: 10, seed: 7, flaws: ['no-confirms'] },
    system: {},
    faults: [{ name: 'broker-kill', at: 3, duration: 2, description: 'SIGKILL' }],
    appliedFaults: [{ name: 'broker-kill', plannedAt: 3, plannedDuration: 2, startedAt: 3, inEffectAt: 3.05, healedAt: 5 }],
    phases: [{ name: 'load', seconds: 10 }],
    valid: false,
    exitCode: 1,
    checks: {
      'zero-loss': {
        valid: false,
        summary: '1 of 80 accepted orders lost (order-1-7)',
        lostOrderIds: ['order-1-7'],
        table: { columns: ['stage', 'lost'], rows: [['orders (end to end)', 1]] },
      },
    },
  } as unknown as RunResults;
  return { results, events, samples };
}

describe('run report', () => {
  it('draws every chart with data on one axis, and shades the fault window in each', () => {
    const { results, events, samples } = run();
    const html = renderRunReport({ results, events, samples, files: ['results.json', 'history/client.jsonl'] });
    for (const id of CHARTS) {
      const figure = new RegExp(`<figure id="chart-${id}" data-chart="${id}" data-has-data="true">[\\s\\S]*?</figure>`).exec(html)?.[0];
      expect(figure, id).toBeDefined();
      expect(figure, id).toContain('<svg');
      expect(figure!.split(`fill="${FAULT_SHADE_FILL}"`).length - 1, id).toBe(1);
    }
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // The faults and recovery checks' tables, judged from the run's records (this run stored neither check).
    expect(html).toMatch(/<th>in effect for s<\/th>[\s\S]*<td>broker-kill<\/td><td class="num">3<\/td>/);
    expect(html).toContain('<th>back to full rate after heal s</th>');
  });

  it('links each order a check names to its story, and lists the orders left in doubt', () => {
    const { results, events, samples } = run();
    const html = renderRunReport({ results, events, samples, files: [] });
    expect(html).toContain('<a href="#order-order-1-7">order-1-7</a>');
    expect(html).toMatch(/<h3 id="order-order-1-7">order-1-7<\/h3><table class="story">[\s\S]*?publish-result <b>ok<\/b>/);
    // 3.0-4.9 s: 20 orders in doubt, each with its story.
    expect(html).toMatch(/in doubt: the client never learned[^<]*<\/strong> \(20\)/);
    expect(html).toContain('id="order-order-1-30"');
  });

  it('escapes what it did not write and says how to run it again', () => {
    const { results, events, samples } = run();
    const html = renderRunReport({ results, events, samples, files: [] });
    expect(html).toContain('a broker crash &#60;loses&#62; nothing');
    expect(html).not.toContain('<loses>');
    expect(reproduceCommand(results)).toBe('npm run scenario broker-kill -- --rate 10 --duration 10 --seed 7 --flaw no-confirms');
  });
});
