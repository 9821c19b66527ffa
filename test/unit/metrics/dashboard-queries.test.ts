import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPromtool } from '../../../harness/env/prometheus-server.ts';
import {
  durationSeconds,
  BUILTIN_VARIABLES,
  dashboardFiles,
  dashboardVariables,
  describeFailures,
  extractQueries,
  readDashboard,
  substituteVariables,
  variableQueryAsPromql,
  type DashboardQuery,
} from '../../../harness/metrics/dashboard-queries.ts';

const dir = mkdtempSync(join(tmpdir(), 'dashboard-queries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = dashboardFiles();
const queries: DashboardQuery[] = files.flatMap((f) => extractQueries(readDashboard(f), basename(f)));
const byDashboard = (name: string) => queries.filter((q) => q.dashboard === name);

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

  it('include the fault annotation and the queue variable of the chaos run', () => {
    const chaos = byDashboard('chaos-run.json');
    expect(chaos.filter((q) => q.source === 'annotation').map((q) => q.promql)).toEqual(['max by (fault) (harness_fault_active) == 1']);
    // Evaluated at its own 1 s step, as Grafana does: a fault of a few seconds falls between the points of a 5 s step.
    expect(chaos.find((q) => q.source === 'annotation')!.stepSeconds).toBe(1);
    expect(chaos.filter((q) => q.source === 'variable').map((q) => q.promql)).toEqual(['count by (queue) (rabbitmq_queue_messages_ready)']);
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
    ])
      expect(broker).toContain(needle);
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
