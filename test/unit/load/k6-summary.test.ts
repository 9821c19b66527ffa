import { describe, expect, it } from 'vitest';
import {
  JSON_SUMMARY_FILE,
  JUNIT_FILE,
  evaluateSummary,
  junitXml,
  summaryJson,
  summaryOutputs,
  summaryPath,
  textSummary,
} from '../../../load/k6/summary.js';
import { TRICKY_METRIC, crossedRun, passedRun } from './k6-summary-data.ts';
import { findAll, parseXml, type XmlElement } from './xml-tree.ts';

// load/k6/summary.js is what orders.js's handleSummary returns; k6 is not installed here, so it is fed
// hand-made data in the shape k6 passes (k6-summary-data.ts) and its output is read back.

const attr = (e: XmlElement, name: string): string | undefined => e.attrs[name];

describe('load/k6/summary.js: thresholds', () => {
  it('lists every threshold with its outcome and the value it read, sorted by metric then expression', () => {
    const verdict = evaluateSummary(crossedRun());
    expect(verdict.passed).toBe(false);
    expect(verdict.error).toBeUndefined();
    expect(verdict.thresholds).toEqual([
      { metric: 'dropped_iterations', threshold: 'count<=0', ok: false, aggregation: 'count', value: 12 },
      { metric: 'http_req_duration', threshold: 'p(99)<=500', ok: false, aggregation: 'p(99)', value: 812.3 },
      { metric: TRICKY_METRIC, threshold: 'max<100', ok: false, aggregation: 'max', value: 250 },
      { metric: TRICKY_METRIC, threshold: 'p(99)<=500', ok: true, aggregation: 'p(99)', value: 30 },
      { metric: 'http_req_failed', threshold: 'rate<=0.01', ok: true, aggregation: 'rate', value: 0.0042 },
    ]);
    expect(evaluateSummary(passedRun()).passed).toBe(true);
  });

  it('reads a statistic the trend did not report as "no value", and spaced expressions too', () => {
    const data = passedRun();
    data.metrics.http_req_duration!.thresholds = { 'p(95) < 300': { ok: true } };
    const [duration] = evaluateSummary(data).thresholds.filter((t) => t.metric === 'http_req_duration');
    expect(duration).toEqual({ metric: 'http_req_duration', threshold: 'p(95) < 300', ok: true, aggregation: 'p(95)' });
    expect(textSummary(data)).toMatch(/ok {6}http_req_duration p\(95\) < 300 +value not in the summary/);
  });

  it('never passes data it cannot read: not k6 handleSummary data, or an outcome without ok', () => {
    // k6 --new-machine-readable-summary hands handleSummary another shape, without threshold outcomes.
    const machineReadable = { version: '1.0.0', config: {}, metadata: {}, results: { metrics: [] } };
    for (const data of [machineReadable, null, 'text', { metrics: [] }]) {
      const verdict = evaluateSummary(data);
      expect(verdict.passed).toBe(false);
      expect(verdict.error).toMatch(/no "metrics" object/);
    }
    const noOk = passedRun();
    (noOk.metrics.http_req_failed!.thresholds as Record<string, unknown>)['rate<=0.01'] = { failed: false };
    expect(evaluateSummary(noOk)).toMatchObject({
      passed: false,
      error: 'threshold outcome without a boolean "ok": http_req_failed rate<=0.01',
    });
  });
});

describe('load/k6/summary.js: JUnit', () => {
  it('writes one test case per threshold, a <failure> for each crossed one, with counts and the run time', () => {
    const xml = junitXml(crossedRun(), { suite: 'orders (load)' });
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ tests: '5', failures: '3', errors: '0', time: '60.413' });
    const [suite, ...others] = findAll(root, 'testsuite');
    expect(others).toHaveLength(0);
    expect(suite!.attrs).toEqual({
      name: 'orders (load) thresholds',
      tests: '5',
      failures: '3',
      errors: '0',
      skipped: '0',
      time: '60.413',
    });

    const cases = findAll(root, 'testcase');
    expect(cases.map((c) => [attr(c, 'classname'), attr(c, 'name'), c.children.map((f) => f.name)])).toEqual([
      ['dropped_iterations', 'dropped_iterations count<=0', ['failure']],
      ['http_req_duration', 'http_req_duration p(99)<=500', ['failure']],
      [TRICKY_METRIC, `${TRICKY_METRIC} max<100`, ['failure']],
      [TRICKY_METRIC, `${TRICKY_METRIC} p(99)<=500`, []],
      ['http_req_failed', 'http_req_failed rate<=0.01', []],
    ]);
    const failures = findAll(root, 'failure');
    expect(failures.map((f) => attr(f, 'message'))).toEqual([
      'dropped_iterations count<=0 crossed: count=12',
      'http_req_duration p(99)<=500 crossed: p(99)=812.30ms',
      `${TRICKY_METRIC} max<100 crossed: max=250.00ms`,
    ]);
    expect(failures.every((f) => attr(f, 'type') === 'threshold' && f.text === attr(f, 'message'))).toBe(true);
  });

  it('escapes names, messages and properties (they come back unchanged from a strict parse)', () => {
    const properties = { ordersUrl: 'http://127.0.0.1:8080/orders?x=1&y=<2>', note: 'line one\nline "two"\t\'three\'', seed: 7 };
    const xml = junitXml(crossedRun(), { suite: 'a & <b>', properties });
    expect(xml).toContain('&amp;b=&lt;2&gt;');
    expect(xml).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;|#\d+;)/);
    const root = parseXml(xml);
    expect(attr(root, 'name')).toBe('a & <b> thresholds');
    expect(findAll(root, 'property').map((p) => [attr(p, 'name'), attr(p, 'value')])).toEqual([
      ['ordersUrl', properties.ordersUrl],
      ['note', properties.note],
      ['seed', '7'],
    ]);
    expect(findAll(root, 'testcase').filter((c) => attr(c, 'classname') === TRICKY_METRIC)).toHaveLength(2);
  });

  it('replaces characters XML 1.0 cannot carry at all', () => {
    const data = passedRun();
    data.metrics['bell\u0007metric'] = {
      type: 'counter',
      contains: 'default',
      values: { count: 1, rate: 1 },
      thresholds: { 'count<5': { ok: true } },
    };
    const names = findAll(parseXml(junitXml(data)), 'testcase').map((c) => attr(c, 'name'));
    expect(names).toContain('bell\uFFFDmetric count<5');
  });

  it('passes when every threshold held', () => {
    const root = parseXml(junitXml(passedRun()));
    expect(root.attrs).toMatchObject({ name: 'k6 thresholds', tests: '5', failures: '0', errors: '0' });
    expect(findAll(root, 'failure')).toHaveLength(0);
    expect(findAll(root, 'properties')).toHaveLength(0);
  });

  it('makes unreadable data an <error> test case, never an empty pass', () => {
    const root = parseXml(junitXml({ results: { metrics: [] } }));
    expect(root.attrs).toMatchObject({ tests: '1', failures: '0', errors: '1' });
    expect(root.attrs.time).toBeUndefined();
    const [error] = findAll(root, 'error');
    expect(attr(error!, 'message')).toMatch(/no "metrics" object.*--new-machine-readable-summary/);
  });
});

describe('load/k6/summary.js: JSON and text', () => {
  it('puts the verdict first and keeps k6 data unchanged', () => {
    const data = crossedRun();
    const json = JSON.parse(summaryJson(data, { suite: 'orders (load)', properties: { profile: 'load', seed: 1 } })) as Record<
      string,
      unknown
    >;
    expect(Object.keys(json)).toEqual(['schema', 'suite', 'passed', 'testRunDurationMs', 'thresholds', 'properties', 'k6']);
    expect(json).toMatchObject({
      schema: 'rabbit-chaos-harness/k6-summary/1',
      suite: 'orders (load)',
      passed: false,
      testRunDurationMs: 60412.5,
      properties: { profile: 'load', seed: 1 },
    });
    expect(json.thresholds).toEqual(evaluateSummary(data).thresholds);
    expect(json.k6).toEqual(crossedRun());
    expect(JSON.parse(summaryJson(passedRun())) as unknown).toMatchObject({ suite: 'k6', passed: true, properties: {} });
    expect(JSON.parse(summaryJson('nonsense')) as unknown).toMatchObject({ passed: false, error: expect.stringMatching(/no "metrics"/) });
  });

  it('prints the verdict, each threshold and the headline figures', () => {
    expect(textSummary(crossedRun(), { suite: 'orders (load)' }).split('\n')).toEqual([
      'orders (load): FAILED, 3 of 5 thresholds crossed, ran 60.4 s',
      `  CROSSED dropped_iterations count<=0${' '.repeat(TRICKY_METRIC.length - 'dropped_iterations'.length + 4)}count=12`,
      `  CROSSED http_req_duration p(99)<=500${' '.repeat(TRICKY_METRIC.length - 'http_req_duration'.length)}  p(99)=812.30ms`,
      `  CROSSED ${TRICKY_METRIC} max<100${' '.repeat(3)}  max=250.00ms`,
      `  ok      ${TRICKY_METRIC} p(99)<=500  p(99)=30.00ms`,
      `  ok      http_req_failed rate<=0.01${' '.repeat(TRICKY_METRIC.length - 'http_req_failed'.length)}  rate=0.42%`,
      '  requests 11988 (198.4/s), failed 0.42%, dropped iterations 12',
      '  http_req_duration avg=41.70ms min=1.20ms med=12.90ms p(90)=88.40ms p(99)=812.30ms max=1503.20ms',
      '',
    ]);
    expect(textSummary(passedRun())).toMatch(/^k6: PASSED, 0 of 5 thresholds crossed, ran 60\.4 s\n/);
    expect(textSummary({})).toBe('k6: FAILED, 0 of 0 thresholds crossed\n  error: ' + evaluateSummary({}).error + '\n');
  });
});

describe('load/k6/summary.js: what handleSummary returns', () => {
  it('maps stdout and the two files, in the working directory by default', () => {
    expect([JSON_SUMMARY_FILE, JUNIT_FILE]).toEqual(['k6-summary.json', 'k6-junit.xml']);
    const outputs = summaryOutputs(crossedRun(), { suite: 'orders (load)' });
    expect(Object.keys(outputs)).toEqual(['stdout', 'k6-summary.json', 'k6-junit.xml']);
    expect(outputs.stdout).toBe(textSummary(crossedRun(), { suite: 'orders (load)' }) + '  wrote k6-summary.json and k6-junit.xml\n');
    expect(outputs['k6-junit.xml']).toBe(junitXml(crossedRun(), { suite: 'orders (load)' }));
    expect(outputs['k6-summary.json']).toBe(summaryJson(crossedRun(), { suite: 'orders (load)' }));
  });

  it('puts the files in the directory asked for', () => {
    expect(Object.keys(summaryOutputs(passedRun(), { dir: 'runs/k6/' }))).toEqual([
      'stdout',
      'runs/k6/k6-summary.json',
      'runs/k6/k6-junit.xml',
    ]);
    expect(summaryPath('/tmp/ci', JUNIT_FILE)).toBe('/tmp/ci/k6-junit.xml');
    expect(summaryPath('.', JUNIT_FILE)).toBe('k6-junit.xml');
    expect(summaryPath('', JUNIT_FILE)).toBe('k6-junit.xml');
    expect(summaryPath(undefined, JUNIT_FILE)).toBe('k6-junit.xml');
  });
});
