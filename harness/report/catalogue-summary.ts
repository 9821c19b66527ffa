import { caseStatus, type CatalogueCase } from './junit.ts';

/**
 * The catalogue as a Markdown matrix (scenario x variant), readable in a terminal and as a
 * GitHub step summary: did the reference system pass, and was each claimed flaw caught?
 */
export function renderCatalogueSummary(cases: readonly CatalogueCase[]): string {
  const scenarios = [...new Set(cases.map((c) => c.scenario))];
  const flaws = [...new Set(cases.filter((c) => c.variant !== 'reference').map((c) => c.variant))];
  const cell = (scenario: string, variant: string) => {
    const c = cases.find((x) => x.scenario === scenario && x.variant === variant);
    if (!c) return '';
    const status = caseStatus(c);
    if (status === 'error') return `⚠️ unknown (exit ${c.exitCode})`;
    if (variant === 'reference') return status === 'passed' ? '✅ passes' : '❌ lost messages';
    return status === 'passed' ? '✅ caught' : '❌ not caught';
  };
  const failing = cases.filter((c) => caseStatus(c) !== 'passed');
  const lines = [
    '## Chaos catalogue',
    '',
    `| scenario | reference | ${flaws.join(' | ')} |`,
    `|---|---|${flaws.map(() => '---|').join('')}`,
    ...scenarios.map((s) => `| ${s} | ${cell(s, 'reference')} | ${flaws.map((f) => cell(s, f)).join(' | ')} |`),
    '',
    failing.length === 0 ? `All ${cases.length} expectations held.` : `${failing.length} of ${cases.length} expectations did not hold:`,
    ...failing.map(
      (c) => `- **${c.scenario}** / ${c.variant}: expected exit ${c.expectedExit}, got ${c.exitCode}: ${c.summary} (\`${c.resultsPath}\`)`,
    ),
  ];
  return lines.join('\n') + '\n';
}
