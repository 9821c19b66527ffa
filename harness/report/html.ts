import type { ResultTable, Validity } from '../checkers/checker.ts';
import { verdictWord } from './verdict-table.ts';

/** Small HTML building blocks shared by the run report and the catalogue index. */

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An id usable in an anchor (order ids are safe already; anything else is made so). */
export function anchorId(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

export function verdictBadge(valid: Validity): string {
  const word = verdictWord(valid);
  return `<span class="badge ${word.toLowerCase()}">${word}</span>`;
}

export function htmlTable(table: ResultTable): string {
  const numeric = table.columns.map((_, c) => table.rows.length > 0 && table.rows.every((r) => typeof r[c] === 'number'));
  const head = table.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const rows = table.rows
    .map((r) => `<tr>${r.map((cell, c) => `<td${numeric[c] ? ' class="num"' : ''}>${esc(cell ?? '')}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 0 auto; max-width: 1160px; padding: 16px 20px 60px; color: #1d1d1f; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 4px; font-weight: 700; font-size: 13px; color: #fff; }
.badge.valid { background: #2a7d2e; } .badge.invalid { background: #c62828; } .badge.unknown { background: #b26a00; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { border: 1px solid #e2e2e2; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.facts th { width: 150px; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f6f8; padding: 1px 4px; border-radius: 3px; }
pre { padding: 8px; overflow-x: auto; }
figure { margin: 10px 0 18px; } figcaption { color: #555; font-size: 12.5px; margin-top: 2px; }
figure svg { max-width: 100%; height: auto; }
.ids a { margin-right: 8px; font: 12px ui-monospace, monospace; }
.story td:nth-child(4) { font: 12px ui-monospace, monospace; word-break: break-all; }
.muted { color: #666; } .note { background: #fff8e1; padding: 6px 10px; border-left: 3px solid #f0b400; }
nav a { margin-right: 12px; }
`;
