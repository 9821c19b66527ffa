import type { CheckResult, ResultTable, Validity } from '../checkers/checker.ts';

export function verdictWord(valid: Validity): string {
  return valid === true ? 'VALID' : valid === false ? 'INVALID' : 'UNKNOWN';
}

/** Renders rows as an aligned text table (numbers right-aligned). */
export function renderTable(table: ResultTable, indent = ''): string {
  const cells = [table.columns, ...table.rows.map((r) => r.map(String))];
  const widths = table.columns.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = table.columns.map((_, c) => table.rows.length > 0 && table.rows.every((r) => typeof r[c] === 'number'));
  return cells
    .map(
      (row) =>
        indent +
        row
          .map((cell, c) => (numeric[c] ? (cell ?? '').padStart(widths[c]!) : (cell ?? '').padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/** The end-of-run report: one line per check, the numbers behind each, and the verdict. */
export function renderVerdict(results: Record<string, CheckResult>, valid: Validity, exitCode: number): string {
  const lines: string[] = [];
  lines.push(
    renderTable({
      columns: ['check', 'verdict', 'summary'],
      rows: Object.entries(results).map(([name, r]) => [name, verdictWord(r.valid), r.summary]),
    }),
  );
  for (const [name, r] of Object.entries(results)) {
    if (!r.table || r.table.rows.length === 0) continue;
    lines.push('', `${name}:`, renderTable(r.table, '  '));
  }
  lines.push('', `verdict: ${verdictWord(valid)} (exit ${exitCode})`);
  return lines.join('\n');
}
