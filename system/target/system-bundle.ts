import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The reference system's processes run one JavaScript file bundled from system/main.ts, not
 * TypeScript through tsx: tsx compiles (or loads from its cache) every module in every process,
 * ~0.35 s of CPU per start against ~0.15 s for the bundle, and a run starts ten of them at once
 * on two cores, then restarts some under faults. Packages stay outside the bundle (better-sqlite3
 * is native), so the file lives inside the repository, where node finds node_modules. Built once
 * per harness process, named by its content: runs side by side never overwrite each other's file.
 */
const BUILD_DIR = '.build';
const ENTRY = 'system/main.ts';

const bundles = new Map<string, Promise<string>>();

/** Path of the bundled entry point, built on first call (~0.2 s). */
export function systemBundle(repoRoot: string): Promise<string> {
  let bundle = bundles.get(repoRoot);
  if (!bundle) {
    bundle = buildBundle(repoRoot);
    bundles.set(repoRoot, bundle);
    // A failed build is not remembered: the next run tries again.
    bundle.catch(() => bundles.delete(repoRoot));
  }
  return bundle;
}

async function buildBundle(repoRoot: string): Promise<string> {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Stack traces of a crashing worker name the TypeScript file and line (the process runs with --enable-source-maps).
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const dir = join(repoRoot, BUILD_DIR);
  const file = join(dir, `system-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed: a process starting meanwhile never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, code);
    renameSync(partial, file);
  }
  return file;
}
