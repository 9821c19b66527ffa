import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCatalogue } from '../../harness/runner/run-catalogue.ts';
import { StatusLine } from '../../harness/runner/status-line.ts';
import { loadTarget } from '../../harness/target/load-target.ts';
import { SCENARIOS } from '../../scenarios/index.ts';
import { tempDir } from '../support/temp-dir.ts';

// The CI gate's index.html, from a real (one-scenario, short) catalogue: every cell links to a report that exists.
const runs = tempDir('catalogue-runs');
afterAll(() => runs.remove());

describe('npm run scenarios', () => {
  it('leaves index.html linking each run to its report.html', async () => {
    const latency = SCENARIOS.find((s) => s.name === 'latency')!;
    const catalogue = await runCatalogue({
      scenarios: [latency],
      target: await loadTarget(undefined),
      runsRoot: runs.path,
      seed: 3,
      rate: 50,
      duration: 8,
      signal: new AbortController().signal,
      status: new StatusLine(),
    });
    expect(catalogue.cases.map((c) => [c.scenario, c.variant, c.exitCode])).toEqual([['latency', 'reference', 0]]);
    const index = readFileSync(join(catalogue.dir, 'index.html'), 'utf8');
    const links = [...index.matchAll(/<a href="([^"]+report\.html)">(\w+)<\/a>/g)];
    expect(links.map((l) => l[2])).toEqual(['VALID']);
    const report = resolve(catalogue.dir, decodeURI(links[0]![1]!));
    expect(report).toBe(join(dirname(catalogue.cases[0]!.resultsPath), 'report.html'));
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, 'utf8')).toContain('data-chart="rate"');
  });
});
