import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioDefinition } from '../../scenarios/define-scenario.ts';
import { renderCatalogueIndex } from '../report/catalogue-index.ts';
import { renderCatalogueSummary } from '../report/catalogue-summary.ts';
import { renderJunit, type CatalogueCase } from '../report/junit.ts';
import { runScenario, type RunResults } from './run-scenario.ts';
import { createRunDir } from './run-dir.ts';
import type { StatusLine } from './status-line.ts';
import type { Target } from '../target/target.ts';

export const INDEX_FILE = 'index.html';

export interface CatalogueRequest {
  scenarios: readonly ScenarioDefinition[];
  /** The reference target: scenarios' `catches` name its flaws. */
  target: Target;
  runsRoot: string;
  seed: number;
  rate?: number;
  duration?: number;
  signal: AbortSignal;
  status: StatusLine;
}

export interface CatalogueOutcome {
  dir: string;
  cases: CatalogueCase[];
  /** True when every reference run passed and every claimed flaw was caught. */
  ok: boolean;
}

/**
 * The CI gate: every scenario against the reference system (must be valid) and against each flaw
 * it claims to catch (must be invalid). Writes junit.xml and summary.md, and appends the summary
 * to $GITHUB_STEP_SUMMARY when that is set.
 */
export async function runCatalogue(request: CatalogueRequest): Promise<CatalogueOutcome> {
  const dir = createRunDir(request.runsRoot, 'catalogue');
  mkdirSync(dir, { recursive: true });
  const cases: CatalogueCase[] = [];
  const plan = request.scenarios.flatMap((scenario) => [
    { scenario, flaws: [] as string[], variant: 'reference', expectedExit: 0 as const },
    ...scenario.catches.map((flaw) => ({ scenario, flaws: [flaw], variant: flaw as string, expectedExit: 1 as const })),
  ]);
  for (const [k, item] of plan.entries()) {
    if (request.signal.aborted) break;
    request.status.log(`\n[catalogue ${k + 1}/${plan.length}] ${item.scenario.name} / ${item.variant}`);
    const started = performance.now();
    const results = await runScenario({
      scenario: item.scenario,
      target: request.target,
      options: {
        rate: request.rate ?? item.scenario.defaults.rate,
        duration: request.duration ?? item.scenario.defaults.duration,
        seed: request.seed,
        flaws: item.flaws,
        ...(item.scenario.cluster !== undefined ? { cluster: item.scenario.cluster } : {}),
      },
      runsRoot: request.runsRoot,
      signal: request.signal,
      status: request.status,
    });
    const c: CatalogueCase = {
      scenario: item.scenario.name,
      variant: item.variant,
      expectedExit: item.expectedExit,
      exitCode: results.exitCode,
      seconds: (performance.now() - started) / 1000,
      summary: summarize(results),
      resultsPath: join(results.runDir, 'results.json'),
    };
    cases.push(c);
    request.status.log(`[catalogue] ${c.scenario} / ${c.variant}: exit ${c.exitCode} (expected ${c.expectedExit}): ${c.summary}`);
    writeReports(dir, cases);
  }
  writeReports(dir, cases);
  const ok = cases.length === plan.length && cases.every((c) => c.exitCode === c.expectedExit);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, renderCatalogueSummary(cases));
  return { dir, cases, ok };
}

function writeReports(dir: string, cases: readonly CatalogueCase[]): void {
  writeFileSync(join(dir, 'junit.xml'), renderJunit(cases));
  writeFileSync(join(dir, 'summary.md'), renderCatalogueSummary(cases));
  writeFileSync(join(dir, INDEX_FILE), renderCatalogueIndex(cases, dir));
}

function summarize(results: RunResults): string {
  if (results.interrupted) return `interrupted: ${results.interrupted}`;
  if (results.error) return `could not run: ${results.error.split('\n')[0]}`;
  const checks = Object.entries(results.checks);
  if (checks.length === 0) return 'no checks ran';
  return checks.map(([name, r]) => `${name}: ${r.summary}`).join('; ');
}
