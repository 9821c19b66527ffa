// The end of a k6 run as CI reads it: a JSON summary, a JUnit file (one test case per threshold, a failed
// threshold is a <failure>) and a few lines on stdout. Plain JS with no k6 imports and nothing fetched from the
// network (no jslib), so it works offline and Node tests can feed it hand-made summary data.
// Keep to what k6's JS runtime runs: no optional chaining, no object spread, no Object.hasOwn.

export const JSON_SUMMARY_FILE = 'k6-summary.json';
export const JUNIT_FILE = 'k6-junit.xml';
const DEFAULT_SUITE = 'k6';
const JSON_SCHEMA = 'rabbit-chaos-harness/k6-summary/1';
// "p(99)<=500", "rate < 0.01", "count<=0": the statistic a threshold reads, before its operator.
const AGGREGATION = /^\s*(avg|min|max|med|count|rate|value|p\(\s*[0-9.]+\s*\))\s*(?:<=|>=|===|==|!=|<|>)/;
// Characters XML 1.0 does not allow anywhere, even escaped.
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @param {string} a @param {string} b */
function byString(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * @param {Record<string, number>} values
 * @param {string} threshold
 * @returns {{ aggregation?: string, value?: number }}
 */
function observed(values, threshold) {
  const match = AGGREGATION.exec(threshold);
  if (!match || match[1] === undefined) return {};
  const aggregation = match[1].replace(/\s+/g, '');
  const value = values[aggregation];
  return typeof value === 'number' ? { aggregation: aggregation, value: value } : { aggregation: aggregation };
}

/**
 * Every threshold of the run with its outcome, sorted by metric then expression (k6 hands them over in map order).
 * Data that is not k6's handleSummary shape (e.g. k6 --new-machine-readable-summary, which carries no threshold
 * outcomes) gives passed false and an error, never an empty pass.
 * @param {unknown} data
 * @returns {import('./summary.js').SummaryVerdict}
 */
export function evaluateSummary(data) {
  if (!isObject(data) || !isObject(data.metrics)) {
    return {
      passed: false,
      thresholds: [],
      error: 'summary data has no "metrics" object (expected the data k6 passes to handleSummary, without --new-machine-readable-summary)',
    };
  }
  const metrics = /** @type {Record<string, unknown>} */ (data.metrics);
  /** @type {import('./summary.js').ThresholdResult[]} */
  const results = [];
  /** @type {string[]} */
  const malformed = [];
  Object.keys(metrics)
    .sort(byString)
    .forEach((name) => {
      const metric = metrics[name];
      if (!isObject(metric) || metric.thresholds === undefined) return;
      const thresholds = metric.thresholds;
      const values = isObject(metric.values) ? /** @type {Record<string, number>} */ (metric.values) : {};
      if (!isObject(thresholds)) {
        malformed.push(name);
        return;
      }
      Object.keys(thresholds)
        .sort(byString)
        .forEach((threshold) => {
          const outcome = thresholds[threshold];
          if (!isObject(outcome) || typeof outcome.ok !== 'boolean') {
            malformed.push(name + ' ' + threshold);
            return;
          }
          const seen = observed(values, threshold);
          /** @type {import('./summary.js').ThresholdResult} */
          const result = { metric: name, threshold: threshold, ok: outcome.ok };
          if (seen.aggregation !== undefined) result.aggregation = seen.aggregation;
          if (seen.value !== undefined) result.value = seen.value;
          results.push(result);
        });
    });
  if (malformed.length > 0) {
    return { passed: false, thresholds: results, error: 'threshold outcome without a boolean "ok": ' + malformed.join(', ') };
  }
  return { passed: results.every((r) => r.ok), thresholds: results };
}

/** @param {unknown} data @returns {number | undefined} */
function durationMs(data) {
  if (!isObject(data) || !isObject(data.state)) return undefined;
  const ms = data.state.testRunDurationMs;
  return typeof ms === 'number' && isFinite(ms) ? ms : undefined;
}

/** @param {unknown} data @param {string} name @returns {import('./summary.js').K6SummaryMetric | undefined} */
function metricOf(data, name) {
  if (!isObject(data) || !isObject(data.metrics)) return undefined;
  const metric = data.metrics[name];
  return isObject(metric) && isObject(metric.values)
    ? /** @type {import('./summary.js').K6SummaryMetric} */ (/** @type {unknown} */ (metric))
    : undefined;
}

/** @param {number} n */
function plainNumber(n) {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(4)));
}

/**
 * A statistic as a person reads it: milliseconds for time metrics, a percentage for rates.
 * @param {import('./summary.js').K6SummaryMetric | undefined} metric
 * @param {string} aggregation
 * @param {number} value
 */
function formatValue(metric, aggregation, value) {
  if (aggregation === 'rate' && metric && metric.type === 'rate') return (value * 100).toFixed(2) + '%';
  if (metric && metric.contains === 'time' && aggregation !== 'count') return value.toFixed(2) + 'ms';
  return plainNumber(value);
}

/** @param {unknown} data @param {import('./summary.js').ThresholdResult} result */
function describeObserved(data, result) {
  if (result.aggregation === undefined || result.value === undefined) return 'value not in the summary';
  return result.aggregation + '=' + formatValue(metricOf(data, result.metric), result.aggregation, result.value);
}

/** @param {unknown} data @param {import('./summary.js').ThresholdResult} result */
function failureMessage(data, result) {
  return result.metric + ' ' + result.threshold + ' crossed: ' + describeObserved(data, result);
}

/** @param {string} text */
function xmlText(text) {
  return String(text).replace(XML_INVALID, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also keep their quotes and line breaks (a raw newline would be normalised to a space). @param {string} text */
function xmlAttr(text) {
  return xmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** @param {import('./summary.js').SummaryOptions | undefined} options */
function suiteName(options) {
  return options && options.suite ? options.suite : DEFAULT_SUITE;
}

/**
 * JUnit XML: one <testcase> per threshold (classname = metric, name = metric and expression), a <failure> for each
 * crossed one, an <error> test case when the summary data could not be read.
 * @param {unknown} data
 * @param {import('./summary.js').SummaryOptions} [options]
 * @returns {string}
 */
export function junitXml(data, options) {
  const verdict = evaluateSummary(data);
  const failures = verdict.thresholds.filter((r) => !r.ok).length;
  const errors = verdict.error === undefined ? 0 : 1;
  const tests = verdict.thresholds.length + errors;
  const ms = durationMs(data);
  const time = ms === undefined ? '' : ' time="' + (ms / 1000).toFixed(3) + '"';
  const counts = ' tests="' + tests + '" failures="' + failures + '" errors="' + errors + '"';
  const suite = suiteName(options) + ' thresholds';
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push('<testsuites name="' + xmlAttr(suite) + '"' + counts + time + '>');
  lines.push('  <testsuite name="' + xmlAttr(suite) + '"' + counts + ' skipped="0"' + time + '>');
  const properties = options && options.properties ? options.properties : {};
  const keys = Object.keys(properties);
  if (keys.length > 0) {
    lines.push('    <properties>');
    keys.forEach((key) => {
      lines.push('      <property name="' + xmlAttr(key) + '" value="' + xmlAttr(String(properties[key])) + '"/>');
    });
    lines.push('    </properties>');
  }
  verdict.thresholds.forEach((result) => {
    const open = '    <testcase classname="' + xmlAttr(result.metric) + '" name="' + xmlAttr(result.metric + ' ' + result.threshold) + '"';
    if (result.ok) {
      lines.push(open + '/>');
    } else {
      const message = failureMessage(data, result);
      lines.push(open + '>');
      lines.push('      <failure type="threshold" message="' + xmlAttr(message) + '">' + xmlText(message) + '</failure>');
      lines.push('    </testcase>');
    }
  });
  if (verdict.error !== undefined) {
    lines.push('    <testcase classname="k6" name="k6 summary data">');
    lines.push('      <error type="summary-data" message="' + xmlAttr(verdict.error) + '">' + xmlText(verdict.error) + '</error>');
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

/**
 * The JSON summary: the verdict first (passed, every threshold with the value it read), then the run's
 * properties, then k6's own summary data unchanged under "k6".
 * @param {unknown} data
 * @param {import('./summary.js').SummaryOptions} [options]
 * @returns {string}
 */
export function summaryJson(data, options) {
  const verdict = evaluateSummary(data);
  /** @type {Record<string, unknown>} */
  const out = { schema: JSON_SCHEMA, suite: suiteName(options), passed: verdict.passed };
  if (verdict.error !== undefined) out.error = verdict.error;
  out.testRunDurationMs = durationMs(data);
  out.thresholds = verdict.thresholds;
  out.properties = options && options.properties ? options.properties : {};
  out.k6 = data;
  return JSON.stringify(out, null, 2) + '\n';
}

/** @param {string} text @param {number} width */
function pad(text, width) {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** @param {unknown} data @param {string} name @param {string} key */
function stat(data, name, key) {
  const metric = metricOf(data, name);
  const value = metric ? metric.values[key] : undefined;
  return typeof value === 'number' ? formatValue(metric, key, value) : undefined;
}

/** Trend statistics in the order options.summaryTrendStats asked for them (k6 hands them over in map order). @param {unknown} data @param {Record<string, number>} values */
function trendOrder(data, values) {
  const asked =
    isObject(data) && isObject(data.options) && Array.isArray(data.options.summaryTrendStats) ? data.options.summaryTrendStats : [];
  /** @type {string[]} */
  const keys = asked.filter((k) => typeof k === 'string' && typeof values[k] === 'number');
  return keys.concat(
    Object.keys(values)
      .filter((k) => keys.indexOf(k) < 0)
      .sort(byString),
  );
}

/**
 * A few lines for the log: verdict, each threshold, and the load's headline figures.
 * @param {unknown} data
 * @param {import('./summary.js').SummaryOptions} [options]
 * @returns {string}
 */
export function textSummary(data, options) {
  const verdict = evaluateSummary(data);
  const failed = verdict.thresholds.filter((r) => !r.ok).length;
  const ms = durationMs(data);
  const lines = [];
  lines.push(
    suiteName(options) +
      ': ' +
      (verdict.passed ? 'PASSED' : 'FAILED') +
      ', ' +
      failed +
      ' of ' +
      verdict.thresholds.length +
      ' thresholds crossed' +
      (ms === undefined ? '' : ', ran ' + (ms / 1000).toFixed(1) + ' s'),
  );
  if (verdict.error !== undefined) lines.push('  error: ' + verdict.error);
  const width = verdict.thresholds.reduce((w, r) => Math.max(w, (r.metric + ' ' + r.threshold).length), 0);
  verdict.thresholds.forEach((r) => {
    lines.push('  ' + (r.ok ? 'ok     ' : 'CROSSED') + ' ' + pad(r.metric + ' ' + r.threshold, width) + '  ' + describeObserved(data, r));
  });
  const reqs = stat(data, 'http_reqs', 'count');
  if (reqs !== undefined) {
    const parts = ['  requests ' + reqs];
    const rate = metricOf(data, 'http_reqs');
    if (rate && typeof rate.values.rate === 'number') parts[0] += ' (' + rate.values.rate.toFixed(1) + '/s)';
    const failedRate = stat(data, 'http_req_failed', 'rate');
    if (failedRate !== undefined) parts.push('failed ' + failedRate);
    const dropped = stat(data, 'dropped_iterations', 'count');
    parts.push('dropped iterations ' + (dropped === undefined ? 0 : dropped));
    lines.push(parts.join(', '));
  }
  const duration = metricOf(data, 'http_req_duration');
  if (duration) {
    const stats = trendOrder(data, duration.values).map(
      (k) => k + '=' + formatValue(duration, k, /** @type {number} */ (duration.values[k])),
    );
    lines.push('  http_req_duration ' + stats.join(' '));
  }
  return lines.join('\n') + '\n';
}

/**
 * Where a summary file goes: `file` inside `dir` (unset, "" or "." mean k6's working directory).
 * @param {string | undefined} dir
 * @param {string} file
 */
export function summaryPath(dir, file) {
  if (dir === undefined || dir === '' || dir === '.') return file;
  return dir.replace(/\/+$/, '') + '/' + file;
}

/**
 * What handleSummary returns: the text summary on stdout, the JSON summary and the JUnit file in options.dir.
 * @param {unknown} data
 * @param {import('./summary.js').SummaryOptions} [options]
 * @returns {Record<string, string>}
 */
export function summaryOutputs(data, options) {
  const dir = options ? options.dir : undefined;
  const jsonPath = summaryPath(dir, JSON_SUMMARY_FILE);
  const junitPath = summaryPath(dir, JUNIT_FILE);
  /** @type {Record<string, string>} */
  const outputs = {};
  outputs.stdout = textSummary(data, options) + '  wrote ' + jsonPath + ' and ' + junitPath + '\n';
  outputs[jsonPath] = summaryJson(data, options);
  outputs[junitPath] = junitXml(data, options);
  return outputs;
}
