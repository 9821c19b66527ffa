import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPromtool } from '../../../harness/env/prometheus-server.ts';
import {
  durationSeconds,
  BUILTIN_VARIABLES,
  DashboardFormatError,
  dashboardFiles,
  dashboardVariables,
  describeFailures,
  describeSkipped,
  extractQueries,
  metricNames,
  OPTIONAL_SOURCES,
  optionalSourceOf,
  readDashboard,
  runDashboardCheck,
  substituteVariables,
  variableQueryAsPromql,
  type DashboardQuery,
} from '../../../harness/metrics/dashboard-queries.ts';
import { PrometheusClient, type QueryData, type RangeOptions } from '../../../harness/metrics/prometheus-client.ts';
import { PROXY_BYTE_COUNTERS, PROXY_METRIC_LABELS } from '../../../chaos/toxiproxy/proxy-metrics.ts';

const dir = mkdtempSync(join(tmpdir(), 'dashboard-queries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = dashboardFiles();
const queries: DashboardQuery[] = files.flatMap((f) => extractQueries(readDashboard(f), basename(f)));
const byDashboard = (name: string) => queries.filter((q) => q.dashboard === name);
const RUN = 'origin=~"harness", scenario=~".*", run=~".*"';

/** Every `metric{matchers}` or bare metric of an expression, with its matchers split. */
function selectors(expr: string): { name: string; matchers: string[] }[] {
  const withoutGrouping = expr.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return metricNames(expr).flatMap((name) =>
    [...withoutGrouping.matchAll(new RegExp(`(?<![\\w:])${name}(?![\\w(])(\\{([^}]*)\\})?`, 'g'))].map((m) => ({
      name,
      matchers: (m[2] ?? '').split(',').map((x) => x.trim()),
    })),
  );
}

/** Every target expr found by walking the JSON blindly: the extractor must find each one. */
function allTargetExprs(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(allTargetExprs);
  if (typeof node !== 'object' || node === null) return [];
  const o = node as Record<string, unknown>;
  const own = Array.isArray(o.targets)
    ? o.targets.flatMap((t) => (typeof (t as { expr?: unknown }).expr === 'string' ? [(t as { expr: string }).expr] : []))
    : [];
  return [...own, ...Object.entries(o).flatMap(([k, v]) => (k === 'targets' ? [] : allTargetExprs(v)))];
}

describe('the dashboards in grafana/dashboards', () => {
  it('are the two we provision', () => {
    expect(files.map((f) => basename(f))).toEqual(['broker-overview.json', 'chaos-run.json']);
  });

  it('have every panel target extracted, including those inside collapsed rows', () => {
    for (const file of files) {
      const expected = allTargetExprs(readDashboard(file).panels).sort();
      const found = byDashboard(basename(file))
        .filter((q) => q.source === 'panel')
        .map((q) => q.expr)
        .sort();
      expect(found).toEqual(expected);
    }
    const collapsed = byDashboard('chaos-run.json').filter((q) => q.name.startsWith('Processes / '));
    expect(collapsed.length).toBeGreaterThanOrEqual(3);
  });

  it('both carry the fault annotation and the origin, scenario and run variables; the chaos run its queue variable', () => {
    for (const name of ['chaos-run.json', 'broker-overview.json']) {
      const queries = byDashboard(name);
      const annotations = queries.filter((q) => q.source === 'annotation');
      expect(
        annotations.map((q) => q.promql),
        name,
      ).toEqual([`max by (fault) (harness_fault_active{${RUN}}) == 1`]);
      // Evaluated at its own 1 s step, as Grafana does: a fault of a few seconds falls between the points of a 5 s step.
      expect(annotations[0]!.stepSeconds).toBe(1);
      const variables = queries.filter((q) => q.source === 'variable').map((q) => [q.name, q.promql]);
      expect(variables.slice(0, 3), name).toEqual([
        ['origin', 'count by (origin) (up)'],
        ['scenario', 'count by (scenario) (up{origin=~"harness"})'],
        ['run', 'count by (run) (up{origin=~"harness", scenario=~".*"})'],
      ]);
    }
    expect(
      byDashboard('chaos-run.json')
        .filter((q) => q.source === 'variable')
        .at(-1),
    ).toMatchObject({ name: 'queue', promql: `count by (queue) (rabbitmq_queue_messages_ready{${RUN}})` });
  });

  it('open on the harness origin, every scenario and every run: one origin at a time, so compose and harness series never add up', () => {
    for (const file of files) {
      const list = (readDashboard(file).templating as { list: Record<string, unknown>[] }).list;
      const variable = (name: string) => list.find((v) => v.name === name)!;
      expect(variable('origin')).toMatchObject({ multi: false, includeAll: false, current: { value: 'harness' } });
      for (const name of ['scenario', 'run'])
        // `.*` also matches a series without the label (compose series carry no scenario or run).
        expect(variable(name), name).toMatchObject({ includeAll: true, allValue: '.*', current: { value: ['$__all'] } });
    }
  });

  it('filter every series they select on origin, scenario and run (k6 series on origin: k6 has its own scenario tag)', () => {
    for (const q of queries.filter((q) => q.source !== 'variable' || q.name === 'queue')) {
      for (const selector of selectors(q.expr)) {
        const wanted = selector.name.startsWith('k6_')
          ? ['origin=~"$origin"']
          : ['origin=~"$origin"', 'scenario=~"$scenario"', 'run=~"$run"'];
        for (const matcher of wanted)
          expect(selector.matchers, `${q.dashboard} "${q.name}" ${q.refId ?? ''}: ${q.expr}`).toContain(matcher);
      }
    }
  });

  it('use the datasource variable everywhere, so they work with any Prometheus datasource uid', () => {
    for (const file of files) {
      const text = JSON.stringify(readDashboard(file));
      const uids = [...text.matchAll(/"uid":"([^"]*)"/g)].map((m) => m[1]);
      expect(new Set(uids.filter((u) => u !== '-- Grafana --' && u !== readDashboard(file).uid))).toEqual(new Set(['${datasource}']));
    }
  });

  it('show what the brief asks for', () => {
    const chaos = byDashboard('chaos-run.json')
      .map((q) => q.promql)
      .join('\n');
    for (const needle of [
      'order_system_orders_accepted_total',
      'order_system_publishes_total',
      'rabbitmq_queue_messages_ready',
      'rabbitmq_queue_messages_unacked',
      'order_system_consumer_in_flight_messages',
      'order_system_messages_redelivered_total',
      'order_system_dead_letters_total',
      'histogram_quantile(0.99, sum by (le) (rate(order_system_order_latency_seconds_bucket',
      'harness_fault_active',
      'harness_check_valid',
      'harness_load_target_requests_per_second',
      'harness_load_requests_dropped_total',
    ])
      expect(chaos).toContain(needle);
    const broker = byDashboard('broker-overview.json')
      .map((q) => q.promql)
      .join('\n');
    for (const needle of [
      'rabbitmq_connections',
      'rabbitmq_channels',
      'rabbitmq_queues',
      'rabbitmq_global_messages_received_total',
      'rabbitmq_alarms_memory_used_watermark',
      'rabbitmq_alarms_free_disk_space_watermark',
      // What the official RabbitMQ-Overview dashboard shows and ours lacked.
      'rabbitmq_global_publishers',
      'rabbitmq_channel_messages_unconfirmed',
      'rabbitmq_process_max_fds{job="rabbitmq", ORIGIN} - rabbitmq_process_open_fds',
      'rabbitmq_process_max_tcp_sockets{job="rabbitmq", ORIGIN} - rabbitmq_process_open_tcp_sockets',
      'rabbitmq_resident_memory_limit_bytes{job="rabbitmq", ORIGIN} - rabbitmq_process_resident_memory_bytes',
      'rabbitmq_disk_space_available_bytes{job="rabbitmq", ORIGIN} - rabbitmq_disk_space_available_limit_bytes',
      'rabbitmq_erlang_uptime_seconds',
      'up{job="rabbitmq", ORIGIN}',
    ])
      expect(broker).toContain(needle.replace('ORIGIN', RUN));
  });

  it('count dead letters with increase(), which survives the reset of a restarted process or broker', () => {
    const deadLetterQueries = queries.filter((q) => /dead_letter/.test(q.expr));
    expect(deadLetterQueries.length).toBeGreaterThanOrEqual(8);
    for (const q of deadLetterQueries) expect(q.expr, `${q.dashboard} "${q.name}"`).toMatch(/^sum(?: by \(reason\) )?\(increase\(/);
  });

  it("read k6's remote-write series by the names its experimental-prometheus-rw output gives them", () => {
    // Counters get _total, rates _rate, trends one gauge per K6_PROMETHEUS_RW_TREND_STATS entry (p(99) -> _p99).
    const k6 = queries.filter((q) => q.optionalSource === 'k6');
    expect(new Set(k6.flatMap((q) => metricNames(q.promql)))).toEqual(
      new Set(['k6_http_reqs_total', 'k6_dropped_iterations_total', 'k6_http_req_duration_p99', 'k6_http_req_failed_rate']),
    );
    expect(k6.map((q) => q.name)).toEqual(
      expect.arrayContaining(['k6: request latency p99', 'k6: failed requests', 'Target vs achieved request rate']),
    );
  });

  it("read Toxiproxy's byte counters by the names and labels of its -proxy-metrics (which the embedded proxy serves too)", () => {
    const proxy = queries.filter((q) => q.optionalSource === 'toxiproxy');
    expect(proxy.map((q) => q.name)).toEqual(['Proxy traffic (Toxiproxy)', 'Proxy traffic (Toxiproxy)']);
    expect(new Set(proxy.flatMap((q) => metricNames(q.promql)))).toEqual(new Set(Object.values(PROXY_BYTE_COUNTERS)));
    for (const q of proxy) for (const label of /by \(([^)]*)\)/.exec(q.expr)![1]!.split(', ')) expect(PROXY_METRIC_LABELS).toContain(label);
  });

  it('leave no variable unsubstituted and parse as PromQL (promtool)', () => {
    for (const q of queries) expect(q.promql, `${q.dashboard} ${q.name}`).not.toMatch(/\$|\[\[/);
    const rules = [
      'groups:',
      '  - name: dashboard-queries',
      '    rules:',
      ...queries.flatMap((q, i) => [`      - record: dashboard:query_${i}`, `        expr: ${JSON.stringify(q.promql)}`]),
    ].join('\n');
    const file = join(dir, 'rules.yml');
    writeFileSync(file, rules + '\n');
    expect(execFileSync(findPromtool(), ['check', 'rules', file], { encoding: 'utf8' })).toContain(
      `SUCCESS: ${queries.length} rules found`,
    );
  });
});

describe('extractQueries', () => {
  const dashboard = {
    panels: [
      {
        type: 'timeseries',
        title: 'Top',
        targets: [
          { refId: 'A', expr: 'rate(a_total[$__rate_interval])' },
          { refId: 'B', expr: '' },
        ],
      },
      { type: 'row', title: 'Open row', collapsed: false, panels: [] },
      { type: 'stat', title: 'Beside the open row', targets: [{ refId: 'A', expr: 'b{job="${job}"}' }] },
      {
        type: 'row',
        title: 'Closed',
        collapsed: true,
        panels: [{ type: 'timeseries', title: 'Inside', targets: [{ refId: 'A', expr: 'c{q=~"$queue"}' }] }],
      },
      { type: 'text', title: 'No queries' },
    ],
    rows: [{ title: 'Old schema', panels: [{ title: 'Legacy', targets: [{ expr: 'd[[job]]' }] }] }],
    annotations: {
      list: [
        { builtIn: 1, name: 'Annotations & Alerts', datasource: { type: 'grafana', uid: '-- Grafana --' } },
        { name: 'Old style', expr: 'e == 1' },
        { name: 'New style', target: { expr: 'f == 1' } },
      ],
    },
    templating: {
      list: [
        { name: 'job', type: 'textbox', query: 'rabbitmq', current: { value: 'rabbitmq' } },
        {
          name: 'queue',
          type: 'query',
          includeAll: true,
          allValue: '.+',
          current: { value: ['$__all'] },
          query: { query: 'label_values(g, queue)' },
        },
        { name: 'picked', type: 'custom', query: 'x,y', current: { value: ['x', 'y'] } },
      ],
    },
  };

  it('finds panels, rows (open, collapsed, old schema), annotations and query variables', () => {
    const found = extractQueries(dashboard, 'test.json');
    expect(found.map((q) => [q.source, q.name, q.promql])).toEqual([
      ['annotation', 'Old style', 'e == 1'],
      ['annotation', 'New style', 'f == 1'],
      ['variable', 'queue', 'count by (queue) (g)'],
      ['panel', 'Top', `rate(a_total[${BUILTIN_VARIABLES.__rate_interval}])`],
      ['panel', 'Beside the open row', 'b{job="rabbitmq"}'],
      ['panel', 'Closed / Inside', 'c{q=~".+"}'],
      ['panel', 'Old schema / Legacy', 'drabbitmq'],
    ]);
    expect(found[3]).toMatchObject({ dashboard: 'test.json', refId: 'A', expr: 'rate(a_total[$__rate_interval])' });
  });

  it('substitutes variables in every Grafana syntax, multi-values as an alternation, and overrides win', () => {
    const values = dashboardVariables(dashboard, { __rate_interval: '1m' });
    expect(values).toMatchObject({ job: 'rabbitmq', queue: '.+', picked: '(x|y)', __rate_interval: '1m' });
    expect(substituteVariables('$job ${job} ${job:regex} [[job]] $jobs $unknown', values)).toBe(
      'rabbitmq rabbitmq rabbitmq rabbitmq $jobs $unknown',
    );
  });

  it("turns Grafana's variable functions into PromQL", () => {
    expect(variableQueryAsPromql('label_values(rabbitmq_queue_messages_ready{job="x"}, queue)')).toBe(
      'count by (queue) (rabbitmq_queue_messages_ready{job="x"})',
    );
    expect(variableQueryAsPromql('query_result(topk(3, up))')).toBe('topk(3, up)');
    expect(variableQueryAsPromql('metrics(rabbitmq_.*)')).toBeUndefined();
  });

  it('describes failures one per line', () => {
    const text = describeFailures([
      { dashboard: 'd.json', source: 'panel', name: 'P', refId: 'A', expr: 'x', promql: 'x', status: 'no-series', series: 0 },
      {
        dashboard: 'd.json',
        source: 'panel',
        name: 'Q',
        expr: 'y(',
        promql: 'y(',
        status: 'errored',
        series: 0,
        error: 'bad_data: parse error',
      },
      { dashboard: 'd.json', source: 'panel', name: 'R', expr: 'z', promql: 'z', status: 'ok', series: 2 },
    ]);
    expect(text.split('\n')).toEqual(['d.json panel "P" A: no-series: x', 'd.json panel "Q": errored (bad_data: parse error): y(']);
  });
});

describe('a Grafana duration', () => {
  it('reads seconds, milliseconds, minutes and hours, and nothing else', () => {
    expect(durationSeconds('1s')).toBe(1);
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(durationSeconds('2m')).toBe(120);
    expect(durationSeconds('1h')).toBe(3600);
    for (const bad of ['', '5', 's', '-1s', '0s', 5, undefined]) expect(durationSeconds(bad), String(bad)).toBeUndefined();
  });
});

describe('metricNames', () => {
  it('finds the metrics a query selects, not its functions, keywords, labels, strings, ranges or numbers', () => {
    expect(metricNames('sum by (reason) (increase(a_total{x="b_total{}", job=~"$job"}[30s]))')).toEqual(['a_total']);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(h_bucket[1m]))) offset 5m')).toEqual(['h_bucket']);
    expect(metricNames('max_fds{job="x"} - open_fds{job="x"} > bool 1e3')).toEqual(['max_fds', 'open_fds']);
    expect(metricNames('sum(rate(a[1m]) * on (name) group_left(x) b) or vector(0) and c unless d')).toEqual(['a', 'b', 'c', 'd']);
    expect(metricNames('count({__name__=~"k6_.+"})')).toEqual([]);
    expect(metricNames('time() - process_start_time_seconds')).toEqual(['process_start_time_seconds']);
  });
});

describe('optional sources', () => {
  it('are k6, Raft and Toxiproxy, told apart by metric prefix', () => {
    expect(OPTIONAL_SOURCES.map((s) => s.name)).toEqual(['k6', 'raft', 'toxiproxy']);
    expect(optionalSourceOf('sum by (instance) (rate(rabbitmq_raft_log_commit_index[1m]))')?.name).toBe('raft');
    expect(optionalSourceOf('sum(rabbitmq_queue_messages_ready)')).toBeUndefined();
    expect(optionalSourceOf('max(k6_http_req_duration_p99)')?.name).toBe('k6');
    expect(optionalSourceOf('rate(toxiproxy_proxy_sent_bytes_total[1m])')?.name).toBe('toxiproxy');
    expect(optionalSourceOf('max(harness_load_achieved_requests_per_second)')).toBeUndefined();
  });

  it('may not be mixed with other metrics in one query: the absence of one half would hide the other', () => {
    expect(() => optionalSourceOf('max(harness_load_achieved_requests_per_second) or sum(rate(k6_http_reqs_total[1m]))')).toThrow(
      DashboardFormatError,
    );
    expect(() => optionalSourceOf('k6_http_reqs_total + toxiproxy_proxy_sent_bytes_total')).toThrow(/own/);
    expect(() => extractQueries({ panels: [{ title: 'Mixed', targets: [{ expr: 'a or k6_b' }] }] }, 'x.json')).toThrow(
      /x\.json panel "Mixed"/,
    );
  });

  /** Answers every range query from a table of PromQL -> series count (anything else: none). */
  class FakePrometheus extends PrometheusClient {
    readonly asked: string[] = [];
    constructor(private readonly answers: (promql: string) => number) {
      super('http://fake');
    }
    override async queryRange(promql: string, _range: RangeOptions): Promise<QueryData> {
      this.asked.push(promql);
      const series = this.answers(promql);
      return { resultType: 'matrix', result: Array.from({ length: series }, () => ({ metric: {}, values: [] })) };
    }
  }

  it('are skipped, with the reason, when absent from the Prometheus; everything else is still evaluated', async () => {
    const absent = new FakePrometheus((promql) => (/k6_|toxiproxy|job="toxiproxy"|rabbitmq_raft_/.test(promql) ? 0 : 1));
    const { checks, skipped } = await runDashboardCheck(absent);
    expect(checks.length + skipped.length).toBe(queries.length);
    expect(checks.every((c) => c.status === 'ok' && c.optionalSource === undefined)).toBe(true);
    expect(new Set(skipped.map((q) => q.optionalSource))).toEqual(new Set(['k6', 'raft', 'toxiproxy']));
    expect(skipped.length).toBe(queries.filter((q) => q.optionalSource).length);
    // Skipped queries are never sent; each source's presence is asked once per dashboard that has its panels.
    for (const q of skipped) expect(absent.asked).not.toContain(q.promql);
    expect(absent.asked.filter((q) => q.includes('__name__=~"k6_.+"'))).toHaveLength(1);
    const text = describeSkipped(skipped);
    expect(text).toMatch(/^skipped \d+ k6 queries: no k6 series in this Prometheus/m);
    expect(text).toMatch(/^skipped 2 toxiproxy queries: no toxiproxy scrape target up/m);
    expect(text).toMatch(/^skipped 4 raft queries: no Raft series in this Prometheus: the broker serves none/m);
  });

  it('are evaluated like any query when present, and fail like any query when their series are missing', async () => {
    const present = new FakePrometheus((promql) => (promql.includes('k6_http_req_duration_p99') ? 0 : 1));
    const { checks, skipped } = await runDashboardCheck(present);
    expect(skipped).toEqual([]);
    expect(checks).toHaveLength(queries.length);
    expect(checks.filter((c) => c.status !== 'ok').map((c) => c.name)).toEqual(['k6: request latency p99']);
  });
});
