import { dirname, join, relative } from 'node:path';
import { REPORT_FILE } from './write-report.ts';
import { esc, page } from './html.ts';
import { caseName, caseStatus, type CatalogueCase } from './junit.ts';

const VERDICT_OF_EXIT: Record<number, string> = { 0: 'VALID', 1: 'INVALID', 2: 'UNKNOWN' };

/**
 * index.html of a catalogue run (`npm run scenarios`): the matrix of scenarios x (reference, each
 * flaw), each cell the run's verdict against what it should have been, its duration, and a link to
 * its report. Links are relative, so the catalogue directory can be archived whole with the runs.
 */
export function renderCatalogueIndex(cases: readonly CatalogueCase[], catalogueDir: string): string {
  const scenarios = [...new Set(cases.map((c) => c.scenario))];
  const flaws = [...new Set(cases.filter((c) => c.variant !== 'reference').map((c) => c.variant))];
  const cell = (scenario: string, variant: string) => {
    const c = cases.find((x) => x.scenario === scenario && x.variant === variant);
    if (!c) return '<td class="muted">–</td>';
    const status = caseStatus(c);
    const verdict = VERDICT_OF_EXIT[c.exitCode] ?? `exit ${c.exitCode}`;
    const report = relative(catalogueDir, join(dirname(c.resultsPath), REPORT_FILE));
    const mark = status === 'passed' ? '✅' : status === 'error' ? '⚠️' : '❌';
    return (
      `<td class="${status}" title="${esc(`${caseName(c)}: ${c.summary}`)}">${mark} <a href="${esc(encodeURI(report))}">${verdict}</a>` +
      `<br><span class="muted">expected ${VERDICT_OF_EXIT[c.expectedExit]}, ${c.seconds.toFixed(0)} s</span></td>`
    );
  };
  const failing = cases.filter((c) => caseStatus(c) !== 'passed');
  const body = [
    `<h1>Chaos catalogue</h1>`,
    `<p>Each scenario against the reference system (must be VALID) and against each flaw it claims to catch (must be INVALID). ` +
      `A cell links to that run's report. Also here: <a href="junit.xml">junit.xml</a>, <a href="summary.md">summary.md</a>.</p>`,
    `<table><thead><tr><th>scenario</th><th>reference</th>${flaws.map((f) => `<th>${esc(f)}</th>`).join('')}</tr></thead><tbody>`,
    ...scenarios.map((s) => `<tr><th>${esc(s)}</th>${cell(s, 'reference')}${flaws.map((f) => cell(s, f)).join('')}</tr>`),
    `</tbody></table>`,
    failing.length === 0
      ? `<p>All ${cases.length} expectations held.</p>`
      : `<p><strong>${failing.length} of ${cases.length} expectations did not hold:</strong></p><ul>${failing
          .map(
            (c) => `<li>${esc(c.scenario)} / ${esc(c.variant)}: expected exit ${c.expectedExit}, got ${c.exitCode}: ${esc(c.summary)}</li>`,
          )
          .join('')}</ul>`,
  ].join('\n');
  return page('Chaos catalogue', body);
}
