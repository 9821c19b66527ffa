import { renderTable } from '../harness/report/verdict-table.ts';
import type { BaselineResult, BenchSummary, StepRecord } from './bench-result.ts';
import { backlogSeconds } from './step-verdict.ts';

// What `npm run bench` prints: one row per step, then the answer.

export function renderStepTable(steps: readonly StepRecord[]): string {
  return renderTable({
    columns: [
      'step',
      'target/s',
      'achieved/s',
      'dropped',
      'failed',
      'p50 ms',
      'p99 ms',
      'accepted',
      'backlog s',
      'drain s',
      'lost',
      'result',
      'why',
    ],
    rows: steps.map((s) => [
      s.index,
      s.rate,
      round1(s.figures.achieved),
      s.figures.dropped,
      s.figures.failed,
      s.figures.p50Ms === null ? '-' : round1(s.figures.p50Ms),
      s.figures.p99Ms === null ? '-' : round1(s.figures.p99Ms),
      s.figures.accepted,
      round1(backlogSeconds(s.figures)),
      round1(s.drain.seconds),
      s.figures.lostOrders + s.figures.lostMessages,
      s.interrupted ? 'INTERRUPTED' : s.verdict.passed ? 'PASS' : 'FAIL',
      s.verdict.reasons.join('; ') || '-',
    ]),
  });
}

export function renderSummary(summary: BenchSummary, baselines: readonly BaselineResult[]): string {
  const lines: string[] = [];
  const sustained = summary.sustainedOrdersPerSecond;
  lines.push(
    sustained === null
      ? `sustained order rate:     none (no step passed; search stopped: ${summary.stopReason})`
      : `sustained order rate:     ${sustained} orders/s (step ${summary.bestStep}, ` +
          `achieved ${fixed(summary.achievedOrdersPerSecond, 1)}/s; search stopped: ${summary.stopReason})`,
  );
  if (sustained !== null) {
    lines.push(
      `  broker publishes:       ${fixed(summary.brokerPublishesPerSecond, 0)} msg/s confirmed ` +
        `(${fixed(summary.publishesPerOrder, 2)} per order, counted from that step's histories)`,
    );
    lines.push(
      `  broker deliveries:      ${fixed(summary.brokerDeliveriesPerSecond, 0)} msg/s ` +
        `(${fixed(summary.deliveriesPerOrder, 2)} per order, redeliveries included)`,
    );
  }
  for (const b of baselines) {
    const where = b.route === 'direct' ? 'direct to the broker, no proxy' : 'through the producer proxy';
    lines.push(
      `raw baseline (${b.route}):${' '.repeat(Math.max(1, 8 - b.route.length))}${b.ratePerSecond.toFixed(0)} msg/s ` +
        `(${where}; persistent ${b.bodyBytes}-byte bodies, confirms, window ${b.window}, durable classic queue, ` +
        `${b.seconds.toFixed(1)} s${b.interrupted ? ', interrupted' : ''})`,
    );
  }
  const publishes = fixed(summary.brokerPublishesPerSecond, 0);
  if (summary.ratio === null) lines.push(`ratio:                    - (needs a passing step and a direct baseline)`);
  else
    lines.push(
      `ratio:                    ${ratio(summary.ratio)} = order-system broker publishes/s ÷ raw direct publishes/s ` +
        `(${publishes} / ${fixed(summary.rawDirectPerSecond, 0)})`,
    );
  if (summary.ratioVsProxy !== null)
    lines.push(
      `ratio vs proxy baseline:  ${ratio(summary.ratioVsProxy)} ` +
        `(${publishes} / ${fixed(summary.rawProxyPerSecond, 0)}; the system publishes through that proxy too)`,
    );
  return lines.join('\n');
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function fixed(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

function ratio(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(3)} (${(value * 100).toFixed(1)}%)`;
}
