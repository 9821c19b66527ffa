import { describe, expect, it } from 'vitest';
import { renderCatalogueIndex } from '../../../harness/report/catalogue-index.ts';
import { renderCatalogueSummary } from '../../../harness/report/catalogue-summary.ts';
import { caseStatus, renderJunit, type CatalogueCase } from '../../../harness/report/junit.ts';

const base = { seconds: 40, summary: 'zero-loss: all accepted orders accounted for', resultsPath: '/runs/x/results.json' };
const cases: CatalogueCase[] = [
  { ...base, scenario: 'broker-restart', variant: 'reference', expectedExit: 0, exitCode: 0 },
  { ...base, scenario: 'broker-restart', variant: 'transient', expectedExit: 1, exitCode: 1 },
  {
    ...base,
    scenario: 'broker-kill',
    variant: 'reference',
    expectedExit: 0,
    exitCode: 1,
    summary: 'zero-loss: 3 of 900 accepted orders lost <&>',
  },
  { ...base, scenario: 'broker-kill', variant: 'no-confirms', expectedExit: 1, exitCode: 0 },
  { ...base, scenario: 'broker-kill', variant: 'auto-ack', expectedExit: 1, exitCode: 2 },
];

describe('catalogue reports', () => {
  it('classifies: expected exit passes, exit 2 is an error, any other mismatch a failure', () => {
    expect(cases.map(caseStatus)).toEqual(['passed', 'passed', 'failed', 'failed', 'error']);
  });

  it('writes JUnit XML with a suite per scenario and escaped messages', () => {
    const xml = renderJunit(cases);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="chaos-catalogue" tests="5" failures="2" errors="1"/);
    expect(xml).toContain('<testsuite name="broker-restart" tests="2" failures="0" errors="0" time="80.0">');
    expect(xml).toContain('<testcase classname="broker-kill" name="catches flaw no-confirms" time="40.0">');
    expect(xml).toContain('<failure message="expected exit 0, got 1: zero-loss: 3 of 900 accepted orders lost &lt;&amp;&gt;">');
    expect(xml).toContain('<error message="expected exit 1, got 2:');
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml.match(/<\/testcase>/g)).toHaveLength(5);
  });

  it('draws the scenario x flaw matrix and lists what did not hold', () => {
    const md = renderCatalogueSummary(cases);
    expect(md).toContain('| scenario | reference | transient | no-confirms | auto-ack |');
    expect(md).toContain('| broker-restart | ✅ passes | ✅ caught |  |  |');
    expect(md).toContain('| broker-kill | ❌ lost messages |  | ❌ not caught | ⚠️ unknown (exit 2) |');
    expect(md).toContain('3 of 5 expectations did not hold:');
  });

  it('says so when every expectation held', () => {
    expect(renderCatalogueSummary(cases.slice(0, 2))).toContain('All 2 expectations held.');
  });

  it('writes index.html: the matrix with each run linked to its report, relative to the catalogue directory', () => {
    const html = renderCatalogueIndex(
      cases.map((c, i) => ({ ...c, resultsPath: `/runs/${c.scenario}/t${i}/results.json` })),
      '/runs/catalogue/t9',
    );
    expect(html).toContain('<th>reference</th><th>transient</th><th>no-confirms</th><th>auto-ack</th>');
    expect(html).toContain('✅ <a href="../../broker-restart/t0/report.html">VALID</a>');
    expect(html).toContain('✅ <a href="../../broker-restart/t1/report.html">INVALID</a>');
    expect(html).toContain('❌ <a href="../../broker-kill/t2/report.html">INVALID</a><br><span class="muted">expected VALID, 40 s</span>');
    expect(html).toContain('⚠️ <a href="../../broker-kill/t4/report.html">UNKNOWN</a>');
    // A flaw a scenario does not claim is an empty cell, not a pass.
    expect(html).toMatch(/<tr><th>broker-restart<\/th>(<td[^>]*>.*?<\/td>){2}<td class="muted">–<\/td><td class="muted">–<\/td><\/tr>/);
    expect(html).toContain('3 of 5 expectations did not hold');
    expect(html).toContain('lost &#60;&#38;&#62;');
  });
});
