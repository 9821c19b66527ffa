// Does the harness know the system under test only through the Target interface? Arrows point one
// way (/work/shared/ARCHITECTURE.md): nothing in the harness's rooms may import a target, and a
// target imports of the harness only the interface it is written against.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../harness/env/repo-root.ts';

const HARNESS_ROOMS = ['harness', 'chaos', 'load', 'scenarios', 'bench'];
const TARGET_ROOMS = ['system', 'examples'];
/** The one harness file a target may import, and only its types. */
const TARGET_INTERFACE = 'harness/target/target.ts';

interface Specifier {
  file: string;
  specifier: string;
  typeOnly: boolean;
}

/**
 * Static specifiers only: `from '...'`, `import '...'` and `import('...')` with a string literal
 * (a computed import() is how a target is chosen at run time).
 */
export function staticSpecifiers(source: string): { specifier: string; typeOnly: boolean }[] {
  const out: { specifier: string; typeOnly: boolean }[] = [];
  const patterns = [
    /\b(import|export)\s+(type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const match of source.matchAll(patterns[0]!)) out.push({ specifier: match[3]!, typeOnly: Boolean(match[2]) });
  for (const match of source.matchAll(patterns[1]!)) out.push({ specifier: match[1]!, typeOnly: false });
  for (const match of source.matchAll(patterns[2]!)) out.push({ specifier: match[1]!, typeOnly: false });
  return out;
}

function tsFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === 'node_modules') return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every relative specifier in `rooms`, as repo-relative paths. */
function importsIn(rooms: readonly string[]): Specifier[] {
  return rooms.flatMap((room) =>
    tsFiles(join(REPO_ROOT, room)).flatMap((file) =>
      staticSpecifiers(readFileSync(file, 'utf8'))
        .filter((s) => s.specifier.startsWith('.'))
        .map((s) => ({ file: repoPath(file), specifier: repoPath(resolve(dirname(file), s.specifier)), typeOnly: s.typeOnly })),
    ),
  );
}

function repoPath(path: string): string {
  return relative(REPO_ROOT, path).split(sep).join('/');
}

const inRoom = (path: string, rooms: readonly string[]) => rooms.some((room) => path === room || path.startsWith(`${room}/`));

describe('the import graph', () => {
  it('reads static specifiers of every form and ignores computed ones', () => {
    const source = [
      "import { a } from '../system/a.ts';",
      "import type { B } from '../system/b.ts';",
      "export { c } from './c.ts';",
      "import './side-effect.ts';",
      "const d = await import('../examples/d.ts');",
      'const e = await import(entry);',
    ].join('\n');
    expect(staticSpecifiers(source)).toEqual([
      { specifier: '../system/a.ts', typeOnly: false },
      { specifier: '../system/b.ts', typeOnly: true },
      { specifier: './c.ts', typeOnly: false },
      { specifier: './side-effect.ts', typeOnly: false },
      { specifier: '../examples/d.ts', typeOnly: false },
    ]);
  });

  it('nothing under harness/, chaos/, load/, scenarios/ or bench/ imports system/ or examples/', () => {
    const offending = importsIn(HARNESS_ROOMS)
      .filter((s) => inRoom(s.specifier, TARGET_ROOMS))
      .map((s) => `${s.file} imports ${s.specifier}`);
    expect(offending, 'the harness must reach a target only through harness/target/load-target.ts at run time').toEqual([]);
  });

  it('system/ and examples/ import of the harness only the Target interface, as types', () => {
    const offending = importsIn(TARGET_ROOMS)
      .filter((s) => inRoom(s.specifier, HARNESS_ROOMS))
      .filter((s) => !(s.specifier === TARGET_INTERFACE && s.typeOnly))
      .map((s) => `${s.file} imports ${s.specifier}${s.typeOnly ? ' (types)' : ''}`);
    expect(offending, `a target may import only \`import type ... from '${TARGET_INTERFACE}'\``).toEqual([]);
  });
});
