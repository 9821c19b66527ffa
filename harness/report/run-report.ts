import type { HistoryEvent } from '../../instrument/history-event.ts';
import type { CheckResult } from '../checkers/checker.ts';
import { faultWindows, recoveryCheck } from '../checkers/recovery.ts';
import { faultCheck } from '../runner/fault-check.ts';
import type { BrokerSample } from '../runner/broker-sampler.ts';
import type { RunResults } from '../runner/run-results.ts';
import { renderChartSvg, type ChartSpec } from './charts.ts';
import { anchorId, esc, htmlTable, page, verdictBadge } from './html.ts';
import { flaggedOrders, idIndex, inDoubtOrders, orderStories, type FlaggedGroup, type OrderStory } from './order-stories.ts';
import { buildTimelines, type FaultSpan, type Timelines } from './timelines.ts';

/** Stories told in full; the rest of a long list is named without one (the file stays small). */
export const MAX_STORIES = 100;
/** Ids listed per group. */
const MAX_LISTED = 200;

export interface RunReportInput {
  results: RunResults;
  /** Every history event of the run, in time order. */
  events: readonly HistoryEvent[];
  samples: readonly BrokerSample[];
  /** Files of the run directory to link to (paths relative to it). */
  files: readonly string[];
}

/** What each chart shows, said once: the chart's caption in the report and its line in the README. */
export const CHART_CAPTIONS: Record<string, string> = {
  rate: 'Orders per second the load offered (target) against those it actually sent and those accepted, first attempts only, by the second they were sent: a dip is the system refusing or the client waiting.',
  answers:
    'Every answer the client got per second (retries included), stacked: accepted, refused (an error status), in doubt (no answer, a timeout: the order may or may not exist), and orders the generator dropped without sending.',
  latency:
    'Latency of first attempts from their due time (the time the open-model schedule meant to send them), by due second: a stalled client or server shows, none is hidden (no coordinated omission).',
  queueDepth:
    "Messages ready in each queue, from the broker's management API once a second (its figures lag the broker by up to ~2 s); a gap is a second the broker did not answer.",
  unacked: 'Messages delivered to consumers and not yet acknowledged, per queue.',
  consumers:
    'Connections with at least one consumer on them, as the broker lists them: consumers dropping out and coming back after a fault.',
  confirms:
    'Publish confirms per second across every publisher of the target (API and workers): confirmed, refused by the broker, or with an unknown outcome.',
};

export function renderRunReport(input: RunReportInput): string {
  const { results, events } = input;
  const t0 = results.loadStartedAtMs ?? firstClientSend(events) ?? Date.parse(results.startedAt);
  const timelines = buildTimelines({ events, samples: input.samples, t0, targetRate: results.options.rate });
  const faults = faultSpans(results, events, t0);
  const index = idIndex(events);
  const flagged = flaggedOrders(results.checks, index);
  const doubt = inDoubtOrders(events);
  const storyIds = [...new Set([...flagged.flatMap((g) => g.orderIds), ...doubt])].slice(0, MAX_STORIES);
  const stories = orderStories(events, storyIds, index);
  const told = new Set(storyIds);

  const body = [
    headline(results, t0),
    `<nav><a href="#timelines">timelines</a><a href="#faults">faults and recovery</a><a href="#checks">checks</a>` +
      `<a href="#orders">orders to look at</a><a href="#files">files</a></nav>`,
    timelineSection(timelines, faults),
    faultSection(results, events),
    checkSection(results.checks, flagged, told),
    doubtSection(doubt, told),
    storySection(stories, t0),
    fileSection(input.files),
  ].join('\n');
  return page(`${results.scenario}: ${results.valid === true ? 'VALID' : results.valid === false ? 'INVALID' : 'UNKNOWN'}`, body);
}

function headline(results: RunResults, t0: number): string {
  const o = results.options;
  const seconds = (Date.parse(results.finishedAt) - Date.parse(results.startedAt)) / 1000;
  const m = results.machine;
  const load = results.load;
  const facts: [string, string][] = [
    ['proves', esc(results.proves)],
    ['target', esc(`${results.target.name}${results.target.ref !== results.target.name ? ` (${results.target.ref})` : ''}`)],
    ['flaws', esc(o.flaws.length ? o.flaws.join(', ') : 'none (the system as it should be)')],
    ['options', esc(`rate ${o.rate}/s, duration ${o.duration} s, seed ${o.seed}` + optionalOptions(results))],
    [
      'broker',
      results.cluster
        ? esc(
            `a cluster of ${results.cluster.nodes.length} nodes (${results.cluster.nodes.join(', ')}), ` +
              `${results.cluster.partitionHandling}, formed in ${results.cluster.formationSeconds} s`,
          )
        : 'one private node',
    ],
    [
      'load',
      load
        ? esc(
            `achieved ${load.achievedRate.toFixed(1)}/s of ${load.targetRate}/s; sent ${load.sent}, ok ${load.ok}, failed ${load.failed}, ` +
              `dropped ${load.dropped}; latency from due time p50 ${ms(load.latencyMs.p50)}, p99 ${ms(load.latencyMs.p99)}`,
          )
        : '<span class="muted">no load summary (the run stopped before its load ended)</span>',
    ],
    [
      'machine',
      m
        ? esc(`${m.host}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`)
        : '<span class="muted">not recorded</span>',
    ],
    [
      'ran',
      esc(
        `${results.startedAt} for ${Number.isFinite(seconds) ? seconds.toFixed(1) : '?'} s ` +
          `(load began ${new Date(t0).toISOString()}: second 0 of every timeline)`,
      ),
    ],
    ['phases', esc(results.phases.map((p) => `${p.name} ${p.seconds} s`).join(', '))],
    ['reproduce', `<code>${esc(reproduceCommand(results))}</code>`],
  ];
  const problems = [
    results.interrupted ? `<p class="note">Interrupted: ${esc(results.interrupted)}</p>` : '',
    results.error ? `<p class="note">The run could not complete:</p><pre>${esc(results.error)}</pre>` : '',
  ].join('');
  return (
    `<h1>${esc(results.scenario)} ${verdictBadge(results.valid)} <span class="muted">exit ${results.exitCode}</span></h1>\n` +
    problems +
    `<table class="facts">${facts.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`
  );
}

function optionalOptions(results: RunResults): string {
  const o = results.options;
  return (
    (o.clientRetries !== undefined ? `, client retries ${o.clientRetries}` : '') +
    (o.afterHeal !== undefined ? `, after heal ${o.afterHeal} s` : '')
  );
}

/** The command line that runs this scenario again with the same inputs. */
export function reproduceCommand(results: RunResults): string {
  const o = results.options;
  const args = [`--rate ${o.rate}`, `--duration ${o.duration}`, `--seed ${o.seed}`];
  if (results.target.ref !== 'reference') args.push(`--target ${shellWord(results.target.ref)}`);
  for (const flaw of o.flaws) args.push(`--flaw ${shellWord(flaw)}`);
  if (o.clientRetries !== undefined) args.push(`--client-retries ${o.clientRetries}`);
  if (o.afterHeal !== undefined) args.push(`--after-heal ${o.afterHeal}`);
  if (o.cluster !== undefined) args.push(`--cluster ${o.cluster}`);
  return `npm run scenario ${shellWord(results.scenario)} -- ${args.join(' ')}`;
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function timelineSection(t: Timelines, faults: readonly FaultSpan[]): string {
  const specs: ChartSpec[] = [
    { id: 'rate', title: 'Target vs achieved rate', unit: 'orders/s', series: t.rate },
    { id: 'answers', title: 'Answers per second', unit: 'answers/s', series: t.answers, stacked: true },
    { id: 'latency', title: 'Latency from due time (first attempts)', unit: 'ms', series: t.latency },
    { id: 'queueDepth', title: 'Queue depth (ready)', unit: 'messages', series: t.queueDepth },
    { id: 'unacked', title: 'Unacknowledged per queue', unit: 'messages', series: t.unacked },
    { id: 'consumers', title: 'Consumer connections up', unit: 'connections', series: t.consumers },
    { id: 'confirms', title: 'Publish confirms per second', unit: 'publishes/s', series: t.confirms, stacked: true },
  ];
  const faultNote = faults.length
    ? `Shaded: ${faults.map((f) => `${esc(f.name)} ${f.from.toFixed(1)}–${f.to === undefined ? 'never healed' : `${f.to.toFixed(1)} s`}`).join('; ')}.`
    : 'No fault in this run.';
  const figures = specs.map((spec) => {
    const empty = spec.series.every((s) => s.points.every(([, v]) => v === null || v === 0));
    return (
      `<figure id="chart-${spec.id}" data-chart="${spec.id}" data-has-data="${!empty}">` +
      renderChartSvg(spec, faults, t.end) +
      `<figcaption>${esc(CHART_CAPTIONS[spec.id] ?? '')}${empty ? ' <strong>No data in this run.</strong>' : ''}</figcaption></figure>`
    );
  });
  return `<h2 id="timelines">Timelines</h2><p>${faultNote}</p>\n${figures.join('\n')}`;
}

/** The faults and recovery checks' own tables (judged again from the run's records when the run has no such check). */
function faultSection(results: RunResults, events: readonly HistoryEvent[]): string {
  const applied = results.appliedFaults ?? [];
  const faults = applied.length ? (results.checks['faults'] ?? faultCheck(applied)).table : undefined;
  const recovery = (results.checks['recovery'] ?? recoveryCheck(events, { targetRate: results.options.rate })).table;
  const hasRecovery = recovery !== undefined && recovery.rows.length > 0;
  if (!faults && !hasRecovery) return `<h2 id="faults">Faults and recovery</h2><p>No fault in this run.</p>`;
  return (
    `<h2 id="faults">Faults and recovery</h2>` +
    (faults ? `<h3>What each fault did (seconds since the load began)</h3>${htmlTable(faults)}` : '') +
    (hasRecovery
      ? `<h3>Recovery under load</h3><p class="muted">Unavailable: from the first failed answer after the fault began to the first accepted one after its heal. ` +
        `Back to full rate: from the heal until the system accepted 95% of the target again.</p>${htmlTable(recovery)}`
      : '')
  );
}

function checkSection(checks: Record<string, CheckResult>, flagged: readonly FlaggedGroup[], told: ReadonlySet<string>): string {
  const parts = Object.entries(checks).map(([name, r]) => {
    const groups = flagged.filter((g) => g.label === name || g.label.startsWith(`${name} › `));
    return (
      `<h3 id="${anchorId('check', name)}">${esc(name)} ${verdictBadge(r.valid)}</h3><p>${esc(r.summary)}</p>` +
      (r.table && r.table.rows.length ? htmlTable(r.table) : '') +
      groups.map((g) => idList(g.label, g.orderIds, told)).join('')
    );
  });
  return `<h2 id="checks">Checks</h2>${parts.join('\n')}`;
}

function doubtSection(doubt: readonly string[], told: ReadonlySet<string>): string {
  return (
    `<h2 id="orders">Orders to look at</h2>` +
    (doubt.length
      ? idList('in doubt: the client never learned whether the order was taken (no answer it could trust)', doubt, told)
      : '<p>No order was left in doubt.</p>')
  );
}

function idList(label: string, ids: readonly string[], told: ReadonlySet<string>): string {
  const shown = ids.slice(0, MAX_LISTED);
  const links = shown.map((id) => (told.has(id) ? `<a href="#${anchorId('order', id)}">${esc(id)}</a>` : `<span>${esc(id)}</span>`));
  const more = ids.length > shown.length ? ` <span class="muted">and ${ids.length - shown.length} more</span>` : '';
  return `<p><strong>${esc(label)}</strong> (${ids.length}):</p><p class="ids">${links.join(' ')}${more}</p>`;
}

function storySection(stories: readonly OrderStory[], t0: number): string {
  if (stories.length === 0) return '';
  const body = stories.map((s) => {
    const rows = s.events.map((e) => {
      const { t, proc, kind, ...rest } = e as HistoryEvent & Record<string, unknown>;
      const outcome = 'outcome' in rest ? String(rest.outcome) : '';
      delete rest.outcome;
      return `<tr><td class="num">${((t - t0) / 1000).toFixed(3)}</td><td>${esc(proc)}</td><td>${esc(kind)}${outcome ? ` <b>${esc(outcome)}</b>` : ''}</td><td>${esc(JSON.stringify(rest))}</td></tr>`;
    });
    const omitted = s.omitted ? `<p class="muted">${s.omitted} later events left out.</p>` : '';
    return (
      `<h3 id="${anchorId('order', s.orderId)}">${esc(s.orderId)}</h3>` +
      `<table class="story"><thead><tr><th>s</th><th>process</th><th>event</th><th>details</th></tr></thead><tbody>${rows.join('')}</tbody></table>${omitted}`
    );
  });
  return `<h2 id="stories">Order stories</h2><p class="muted">Every history event about each order named above, from every process, in time order (seconds since the load began).</p>${body.join('\n')}`;
}

function fileSection(files: readonly string[]): string {
  const links = files.map((f) => `<li><a href="${esc(encodeURI(f))}">${esc(f)}</a></li>`);
  return `<h2 id="files">Files of this run</h2><ul>${links.join('')}</ul>`;
}

/** Fault windows on the timeline axis: what the run applied when it says so, else the history's fault events. */
export function faultSpans(results: RunResults, events: readonly HistoryEvent[], t0: number): FaultSpan[] {
  if (results.appliedFaults?.length)
    return results.appliedFaults
      .filter((f) => f.inEffectAt !== undefined || f.startedAt !== undefined)
      .map((f) => ({ name: f.name, from: (f.inEffectAt ?? f.startedAt)!, ...(f.healedAt !== undefined ? { to: f.healedAt } : {}) }));
  return faultWindows(events).map((w) => ({
    name: w.name,
    from: (w.start - t0) / 1000,
    ...(w.healed !== undefined ? { to: (w.healed - t0) / 1000 } : {}),
  }));
}

function ms(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(1)} ms`;
}

function firstClientSend(events: readonly HistoryEvent[]): number | undefined {
  for (const e of events) if (e.kind === 'order-request') return e.t - (e.latencyMs ?? 0) - (e.lateMs ?? 0);
  return undefined;
}
