import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrometheusClient, PrometheusQueryError, seriesCount } from './prometheus-client.ts';
import { SCRAPE_JOBS } from './run-targets.ts';

/**
 * Every PromQL expression in our Grafana dashboards (panel targets, collapsed rows included,
 * annotation queries and query variables), with template variables substituted, evaluated against
 * a Prometheus: a dashboard whose query errors or finds nothing is a broken dashboard, and this
 * finds it without a Grafana.
 *
 * A few panels read a source a run may not have (OPTIONAL_SOURCES: k6, which a scenario does not
 * run; Toxiproxy's byte counters, when no proxy is scraped; Raft figures, which only quorum queues have). A query that reads only such a
 * source's metrics is evaluated when the source reports to the Prometheus at hand, and skipped,
 * with the reason, when it does not; a query may not mix such a source with anything else.
 */

export const DASHBOARDS_DIR = fileURLToPath(new URL('../../grafana/dashboards/', import.meta.url));

export type QuerySource = 'panel' | 'annotation' | 'variable';

export interface DashboardQuery {
  /** File name, e.g. `chaos-run.json`. */
  dashboard: string;
  source: QuerySource;
  /** Panel title (`Row / Panel` inside rows), annotation or variable name. */
  name: string;
  refId?: string;
  /** As written in the dashboard. */
  expr: string;
  /** With variables substituted: what is sent to Prometheus. */
  promql: string;
  /**
   * The query's own resolution, as Grafana uses it (an annotation's `step`): a fault of three
   * seconds falls between the points of a 5 s step, and its annotation would then show nothing.
   */
  stepSeconds?: number;
  /** The optional source (OPTIONAL_SOURCES) whose metrics it reads, if any. */
  optionalSource?: string;
}

/**
 * Metrics a run may lack. Their queries are proven where the source reports; see the file comment
 * and grafana/README.md for where that is.
 */
export interface OptionalSource {
  name: string;
  /** Every metric of the source starts with it. */
  metricPrefix: string;
  /** PromQL (dashboard variables allowed) that finds a series when the source reports to this Prometheus. */
  presence: string;
  /** Said when the source is absent. */
  absentBecause: string;
}

export const OPTIONAL_SOURCES: readonly OptionalSource[] = [
  {
    name: 'k6',
    metricPrefix: 'k6_',
    presence: 'count({__name__=~"k6_.+", origin=~"$origin"})',
    absentBecause:
      'no k6 series in this Prometheus: k6 pushes them through its experimental-prometheus-rw output, and a scenario loads with the harness generator, not k6',
  },
  {
    name: 'raft',
    metricPrefix: 'rabbitmq_raft_',
    presence: 'count({__name__=~"rabbitmq_raft_.+", origin=~"$origin", scenario=~"$scenario", run=~"$run"})',
    absentBecause:
      'no Raft series in this Prometheus: the broker serves none (rabbitmq_prometheus exposes its Ra systems; quorum queues, which the reference declares on a cluster, make them move)',
  },
  {
    name: 'toxiproxy',
    metricPrefix: 'toxiproxy_',
    presence: `up{job="${SCRAPE_JOBS.proxy}", origin=~"$origin", scenario=~"$scenario", run=~"$run"} == 1`,
    absentBecause: `no ${SCRAPE_JOBS.proxy} scrape target up in this Prometheus (a real Toxiproxy serves its byte counters only with -proxy-metrics)`,
  },
];

export type QueryStatus = 'ok' | 'no-series' | 'errored';

export interface QueryCheck extends DashboardQuery {
  status: QueryStatus;
  series: number;
  error?: string;
}

/** A query left out because its optional source does not report to this Prometheus. */
export interface SkippedQuery extends DashboardQuery {
  optionalSource: string;
  reason: string;
}

export interface DashboardCheck {
  /** Every query evaluated. */
  checks: QueryCheck[];
  skipped: SkippedQuery[];
}

/**
 * Values for Grafana's built-in variables. Rate windows must hold several scrapes: Grafana makes
 * `$__rate_interval` at least four scrape intervals; 30 s covers a 1 s (harness) and a 5 s
 * (docker compose) scrape interval alike.
 */
export const BUILTIN_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '30s',
  __interval: '5s',
  __interval_ms: '5000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
};

export class DashboardFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DashboardFormatError';
  }
}

type Json = Record<string, unknown>;

/** The dashboard JSON files of a folder (default grafana/dashboards), sorted. */
export function dashboardFiles(dir = DASHBOARDS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

export function readDashboard(file: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DashboardFormatError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed) || !Array.isArray(parsed.panels))
    throw new DashboardFormatError(`${file}: expected a Grafana dashboard object with a panels array`);
  return parsed;
}

/**
 * The value each template variable takes when the dashboard opens: its current value, or for
 * "All" its allValue (a regex matching everything by default). `overrides` win, then built-ins.
 */
export function dashboardVariables(dashboard: Json, overrides: Record<string, string> = {}): Record<string, string> {
  const values: Record<string, string> = {};
  const list = isObject(dashboard.templating) && Array.isArray(dashboard.templating.list) ? dashboard.templating.list : [];
  for (const v of list) {
    if (!isObject(v) || typeof v.name !== 'string') continue;
    const current = isObject(v.current) ? v.current.value : undefined;
    const all = typeof v.allValue === 'string' && v.allValue ? v.allValue : '.*';
    const raw = Array.isArray(current) ? current.map(String) : current === undefined || current === null ? [] : [String(current)];
    if (raw.includes('$__all')) values[v.name] = all;
    else if (raw.length > 0) values[v.name] = raw.length === 1 ? raw[0]! : `(${raw.join('|')})`;
    else if ((v.type === 'textbox' || v.type === 'constant') && typeof v.query === 'string') values[v.name] = v.query;
    else if (v.type === 'custom' && typeof v.query === 'string') values[v.name] = v.query.split(',')[0]!.trim();
    else values[v.name] = all;
  }
  return { ...values, ...BUILTIN_VARIABLES, ...overrides };
}

/** A Grafana duration such as `1s`, `500ms` or `1m` in seconds; undefined for anything else (the default step applies). */
export function durationSeconds(value: unknown): number | undefined {
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim()) : null;
  if (!match) return undefined;
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  const seconds = Number(match[1]) * unit;
  return seconds > 0 ? seconds : undefined;
}

/** Replaces `$name`, `${name}`, `${name:format}` and `[[name]]`; unknown variables are left as they are. */
export function substituteVariables(expr: string, values: Record<string, string>): string {
  return expr.replace(
    /\$\{([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?\}|\[\[([A-Za-z0-9_]+)(?::[A-Za-z0-9_]+)?\]\]|\$([A-Za-z0-9_]+)/g,
    (match, braced?: string, bracketed?: string, bare?: string) => {
      const name = braced ?? bracketed ?? bare!;
      return Object.hasOwn(values, name) ? values[name]! : match;
    },
  );
}

/** Every PromQL expression of one dashboard, in the order a reader meets them. */
export function extractQueries(dashboard: Json, dashboardName: string, overrides: Record<string, string> = {}): DashboardQuery[] {
  const values = dashboardVariables(dashboard, overrides);
  const out: DashboardQuery[] = [];
  const add = (source: QuerySource, name: string, expr: string, refId?: string, stepSeconds?: number) => {
    const promql = substituteVariables(expr, values);
    const optional = optionalSourceOf(promql, `${dashboardName} ${source} "${name}"${refId ? ` ${refId}` : ''}`);
    out.push({
      dashboard: dashboardName,
      source,
      name,
      ...(refId ? { refId } : {}),
      expr,
      promql,
      ...(stepSeconds !== undefined ? { stepSeconds } : {}),
      ...(optional ? { optionalSource: optional.name } : {}),
    });
  };

  const annotations = isObject(dashboard.annotations) && Array.isArray(dashboard.annotations.list) ? dashboard.annotations.list : [];
  for (const a of annotations) {
    if (!isObject(a)) continue;
    const expr = typeof a.expr === 'string' ? a.expr : isObject(a.target) && typeof a.target.expr === 'string' ? a.target.expr : undefined;
    if (expr?.trim()) add('annotation', String(a.name ?? 'annotation'), expr, undefined, durationSeconds(a.step));
  }

  const list = isObject(dashboard.templating) && Array.isArray(dashboard.templating.list) ? dashboard.templating.list : [];
  for (const v of list) {
    if (!isObject(v) || v.type !== 'query') continue;
    const query =
      typeof v.query === 'string' ? v.query : isObject(v.query) && typeof v.query.query === 'string' ? v.query.query : undefined;
    const promql = query ? variableQueryAsPromql(query) : undefined;
    if (promql) add('variable', String(v.name), promql);
  }

  const walk = (panels: unknown[], prefix: string) => {
    for (const p of panels) {
      if (!isObject(p)) continue;
      const title = `${prefix}${typeof p.title === 'string' && p.title ? p.title : `panel ${String(p.id ?? '?')}`}`;
      if (Array.isArray(p.targets)) {
        for (const t of p.targets)
          if (isObject(t) && typeof t.expr === 'string' && t.expr.trim())
            add('panel', title, t.expr, typeof t.refId === 'string' ? t.refId : undefined);
      }
      // Rows keep their panels inside when collapsed, and beside them when open.
      if (Array.isArray(p.panels)) walk(p.panels, p.type === 'row' ? `${title} / ` : prefix);
    }
  };
  walk(dashboard.panels as unknown[], '');
  // Dashboards from before schema 16 keep their panels in rows[].panels.
  if (Array.isArray(dashboard.rows))
    for (const r of dashboard.rows) if (isObject(r) && Array.isArray(r.panels)) walk(r.panels, `${String(r.title ?? 'row')} / `);
  return out;
}

/** Grafana's `label_values(metric, label)` asks for the label's values: PromQL `count by (label) (metric)` has them. */
export function variableQueryAsPromql(query: string): string | undefined {
  const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/.exec(query);
  if (labelValues) return `count by (${labelValues[2]}) (${labelValues[1]})`;
  const queryResult = /^\s*query_result\(\s*([\s\S]+)\)\s*$/.exec(query);
  if (queryResult) return queryResult[1];
  return undefined;
}

export interface EvaluateOptions {
  /** Window each query is evaluated over, as Grafana would draw it; default the last 5 minutes. */
  start?: Date;
  end?: Date;
  stepSeconds?: number;
}

/**
 * Runs each query as a range query (what a panel or annotation does) and says whether it errored,
 * found no series, or found some.
 */
export async function evaluateQueries(
  prometheus: PrometheusClient | string,
  queries: readonly DashboardQuery[],
  options: EvaluateOptions = {},
): Promise<QueryCheck[]> {
  const client = typeof prometheus === 'string' ? new PrometheusClient(prometheus) : prometheus;
  const end = options.end ?? new Date();
  const start = options.start ?? new Date(end.getTime() - 5 * 60_000);
  const stepSeconds = options.stepSeconds ?? 5;
  const checks: QueryCheck[] = [];
  for (const q of queries) {
    try {
      const series = seriesCount(await client.queryRange(q.promql, { start, end, stepSeconds: q.stepSeconds ?? stepSeconds }));
      checks.push({ ...q, status: series > 0 ? 'ok' : 'no-series', series });
    } catch (err) {
      if (!(err instanceof PrometheusQueryError)) throw err;
      checks.push({ ...q, status: 'errored', series: 0, error: `${err.errorType}: ${err.message}` });
    }
  }
  return checks;
}

export type DashboardCheckOptions = EvaluateOptions & { dir?: string; variables?: Record<string, string> };

/**
 * Extracts and evaluates every dashboard of a folder (default grafana/dashboards). A query of an
 * optional source that does not report to this Prometheus is not evaluated but listed in `skipped`
 * with the reason; every other query is evaluated.
 */
export async function runDashboardCheck(
  prometheus: PrometheusClient | string,
  options: DashboardCheckOptions = {},
): Promise<DashboardCheck> {
  const client = typeof prometheus === 'string' ? new PrometheusClient(prometheus) : prometheus;
  const toEvaluate: DashboardQuery[] = [];
  const skipped: SkippedQuery[] = [];
  for (const file of dashboardFiles(options.dir)) {
    const dashboard = readDashboard(file);
    const values = dashboardVariables(dashboard, options.variables);
    const presence = new Map<string, boolean>();
    for (const query of extractQueries(dashboard, basename(file), options.variables)) {
      const source = OPTIONAL_SOURCES.find((s) => s.name === query.optionalSource);
      if (source) {
        if (!presence.has(source.name)) presence.set(source.name, await reports(client, source, values, options));
        if (!presence.get(source.name)) {
          skipped.push({ ...query, optionalSource: source.name, reason: source.absentBecause });
          continue;
        }
      }
      toEvaluate.push(query);
    }
  }
  return { checks: await evaluateQueries(client, toEvaluate, options), skipped };
}

/** The evaluated queries of `runDashboardCheck` (queries of an absent optional source are left out). */
export async function checkDashboards(prometheus: PrometheusClient | string, options: DashboardCheckOptions = {}): Promise<QueryCheck[]> {
  return (await runDashboardCheck(prometheus, options)).checks;
}

/** Whether the source has a series in the window; its presence query erroring is a broken check, not an absence. */
async function reports(
  client: PrometheusClient,
  source: OptionalSource,
  values: Record<string, string>,
  options: EvaluateOptions,
): Promise<boolean> {
  const [check] = await evaluateQueries(
    client,
    [
      {
        dashboard: '-',
        source: 'panel',
        name: `${source.name} presence`,
        expr: source.presence,
        promql: substituteVariables(source.presence, values),
      },
    ],
    options,
  );
  if (check!.status === 'errored')
    throw new DashboardFormatError(`presence query of ${source.name} errored: ${check!.error}: ${check!.promql}`);
  return check!.status === 'ok';
}

/** One line per optional source left out: how many queries, and why. */
export function describeSkipped(skipped: readonly SkippedQuery[]): string {
  const bySource = new Map<string, SkippedQuery[]>();
  for (const q of skipped) bySource.set(q.optionalSource, [...(bySource.get(q.optionalSource) ?? []), q]);
  return [...bySource.entries()]
    .map(([source, queries]) => `skipped ${queries.length} ${source} ${queries.length === 1 ? 'query' : 'queries'}: ${queries[0]!.reason}`)
    .join('\n');
}

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects by name (`up`, `rate(x_total[1m])` -> `x_total`),
 * in order, without duplicates. A lexer, not a parser: strings, label matchers, ranges and grouping
 * label lists are dropped first, then every identifier that is neither a function call nor a
 * keyword nor part of a number or duration is a metric name.
 */
export function metricNames(promql: string): string[] {
  const stripped = promql
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.:])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const next = stripped.slice(match.index! + word.length).trimStart()[0];
    if (next === '(' || PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** The optional source a query reads, or undefined; a query mixing one with other metrics is a dashboard error. */
export function optionalSourceOf(promql: string, where = promql): OptionalSource | undefined {
  const names = metricNames(promql);
  const sources = OPTIONAL_SOURCES.filter((s) => names.some((n) => n.startsWith(s.metricPrefix)));
  if (sources.length === 0) return undefined;
  const [source] = sources;
  const others = names.filter((n) => !n.startsWith(source!.metricPrefix));
  if (sources.length > 1 || others.length > 0)
    throw new DashboardFormatError(
      `${where}: reads ${source!.name} metrics with ${others.join(', ')}: a source a run may lack needs a query (target) of its own, ` +
        'or its absence would hide the rest or pass unnoticed',
    );
  return source;
}

/** One line per query that is not ok, for an assertion message or a report. */
export function describeFailures(checks: readonly QueryCheck[]): string {
  return checks
    .filter((c) => c.status !== 'ok')
    .map(
      (c) =>
        `${c.dashboard} ${c.source} "${c.name}"${c.refId ? ` ${c.refId}` : ''}: ${c.status}${c.error ? ` (${c.error})` : ''}: ${c.promql}`,
    )
    .join('\n');
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
