/** One expectation of the catalogue: a scenario run and what its exit code should have been. */
export interface CatalogueCase {
  scenario: string;
  /** `reference` or the flaw's name. */
  variant: string;
  expectedExit: 0 | 1;
  exitCode: number;
  seconds: number;
  summary: string;
  resultsPath: string;
}

export type CaseStatus = 'passed' | 'failed' | 'error';

/** Exit 2 (unknown / could not run) is an error, not a pass: an unproven claim is not a kept one. */
export function caseStatus(c: CatalogueCase): CaseStatus {
  if (c.exitCode === c.expectedExit) return 'passed';
  return c.exitCode === 2 ? 'error' : 'failed';
}

export function caseName(c: CatalogueCase): string {
  return c.variant === 'reference' ? 'reference system passes' : `catches flaw ${c.variant}`;
}

/** JUnit XML as CI systems read it (GitHub, GitLab, Jenkins): a suite per scenario, a case per variant. */
export function renderJunit(cases: readonly CatalogueCase[]): string {
  const scenarios = [...new Set(cases.map((c) => c.scenario))];
  const count = (list: readonly CatalogueCase[], status: CaseStatus) => list.filter((c) => caseStatus(c) === status).length;
  const seconds = (list: readonly CatalogueCase[]) => list.reduce((s, c) => s + c.seconds, 0).toFixed(1);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites name="chaos-catalogue" tests="${cases.length}" ` +
      `failures="${count(cases, 'failed')}" errors="${count(cases, 'error')}" time="${seconds(cases)}">`,
  );
  for (const scenario of scenarios) {
    const own = cases.filter((c) => c.scenario === scenario);
    lines.push(
      `  <testsuite name="${xml(scenario)}" tests="${own.length}" ` +
        `failures="${count(own, 'failed')}" errors="${count(own, 'error')}" time="${seconds(own)}">`,
    );
    for (const c of own) {
      const status = caseStatus(c);
      const head = `    <testcase classname="${xml(scenario)}" name="${xml(caseName(c))}" time="${c.seconds.toFixed(1)}"`;
      if (status === 'passed') {
        lines.push(`${head}>`, `      <system-out>${xml(`${c.summary}\nresults: ${c.resultsPath}`)}</system-out>`, '    </testcase>');
        continue;
      }
      const tag = status === 'error' ? 'error' : 'failure';
      const message = `expected exit ${c.expectedExit}, got ${c.exitCode}: ${c.summary}`;
      lines.push(
        `${head}>`,
        `      <${tag} message="${xml(message)}">${xml(`${message}\nresults: ${c.resultsPath}`)}</${tag}>`,
        '    </testcase>',
      );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
