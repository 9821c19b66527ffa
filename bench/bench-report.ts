import { renderTable } from '../harness/report/verdict-table.ts';
import type { BaselineResult, BenchSummary, StepRecord } from './bench-result.ts';
import { HARNESS_KIND, type CpuFigures } from './cpu-usage.ts';
import type { QueueLatency } from './deliver-latency.ts';
import type { QueueLoad } from './queue-sampler.ts';
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
      'cpu ms/order',
      'machine cpu',
      'limit',
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
      s.cpu.msPerOrder === null ? '-' : round2(s.cpu.msPerOrder),
      s.cpu.machineBusyCores === null ? '-' : `${Math.round((100 * s.cpu.machineBusyCores) / s.cpu.machineCores)}%`,
      s.limit.stage === 'queue' ? s.limit.queue! : s.limit.stage,
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
  if (summary.limitingStage) {
    const limit = summary.limitingStage;
    lines.push(`limiting stage:           ${limit.summary} (step ${limit.fromStep})`);
  }
  const cpu = summary.cpuAtSustained;
  if (cpu) {
    const share = cpu.harnessShare === null ? '-' : `${(cpu.harnessShare * 100).toFixed(1)}%`;
    lines.push(
      `cpu per order:            ${cpu.msPerOrder === null ? '-' : cpu.msPerOrder.toFixed(2)} ms at the sustained rate; ` +
        `harness share ${share} of the sampled CPU (goal <= 5%)`,
    );
    lines.push(renderCpuTable(cpu));
  }
  return lines.join('\n');
}

/** Per queue during one step's load: backlog growth, consumer slots in use, publish-to-deliver latency. */
export function renderQueueTable(queues: readonly QueueLoad[] | null, latency: readonly QueueLatency[]): string {
  // Queues nobody consumed from and that held nothing (the idle retry delay queues) say nothing.
  const idle = (q: QueueLoad) => q.consumers === 0 && q.depthAtEnd === 0 && q.backlogGrowthPerSecond === 0;
  const names = [...new Set([...(queues ?? []).filter((q) => !idle(q)).map((q) => q.queue), ...latency.map((l) => l.queue)])].sort();
  if (!names.length) return '  (no queue figures)';
  return renderTable(
    {
      columns: [
        'queue',
        'consumers',
        'slots',
        'slots used',
        'max used',
        'backlog msg/s',
        'depth at end',
        'deliver p50 ms',
        'deliver p99 ms',
      ],
      rows: names.map((name) => {
        const q = queues?.find((x) => x.queue === name);
        const l = latency.find((x) => x.queue === name);
        return [
          name,
          q ? q.consumers : '-',
          q ? q.slots : '-',
          q?.slotUtilisation == null ? '-' : `${Math.round(q.slotUtilisation * 100)}%`,
          q?.maxSlotUtilisation == null ? '-' : `${Math.round(q.maxSlotUtilisation * 100)}%`,
          q ? round1(q.backlogGrowthPerSecond) : '-',
          q ? q.depthAtEnd : '-',
          l ? round1(l.p50Ms) : '-',
          l ? round1(l.p99Ms) : '-',
        ];
      }),
    },
    '  ',
  );
}

/** CPU per accepted order by process kind over one step, and the bench's own share. */
export function renderCpuTable(cpu: CpuFigures): string {
  const rows = cpu.kinds.map((k) => [
    k.kind === HARNESS_KIND ? `${HARNESS_KIND} (bench process: generator, in-process proxy, history reading)` : k.kind,
    k.processes,
    k.msPerOrder === null ? '-' : round2(k.msPerOrder),
    round2(k.cores),
    cpu.totalMs > 0 ? `${((100 * k.cpuMs) / cpu.totalMs).toFixed(1)}%` : '-',
  ]);
  rows.push([
    'total',
    cpu.kinds.reduce((n, k) => n + k.processes, 0),
    cpu.msPerOrder === null ? '-' : round2(cpu.msPerOrder),
    round2(cpu.totalMs / 1000 / cpu.windowSeconds),
    '100%',
  ]);
  const machine =
    cpu.machineBusyCores === null
      ? ''
      : `\n  machine: ${round2(cpu.machineBusyCores)} of ${cpu.machineCores} cores busy over ${round1(cpu.windowSeconds)} s` +
        ` (${round2((cpu.unaccountedMs ?? 0) / 1000 / cpu.windowSeconds)} cores not accounted for by these processes)` +
        (cpu.missing ? `; ${cpu.missing} processes vanished during the step (not counted)` : '');
  return renderTable({ columns: ['kind', 'processes', 'cpu ms/order', 'cores', 'share'], rows }, '  ') + machine;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
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
