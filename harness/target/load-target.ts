import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../env/repo-root.ts';
import { loadBlackBoxTarget, TARGET_FILE } from './black-box-target.ts';
import type { Target } from './target.ts';

export const DEFAULT_TARGET = 'reference';
/** The file that makes a directory a black-box target. */

export class UnknownTargetError extends Error {
  override readonly name = 'UnknownTargetError';
  constructor(readonly target: string) {
    super(
      `unknown target "${target}": expected "${DEFAULT_TARGET}" (the reference order system) ` +
        `or a directory holding a ${TARGET_FILE} (e.g. examples/plain-orders)`,
    );
  }
}

/**
 * The system under test, chosen at run time (`--target`). The reference system is imported by a
 * path computed here, never by a static specifier: nothing under harness/ depends on system/
 * (test/unit/architecture/import-graph.test.ts reads static specifiers only, and must stay green).
 */
export async function loadTarget(nameOrDir: string = DEFAULT_TARGET): Promise<Target> {
  if (nameOrDir === DEFAULT_TARGET) {
    const entry = pathToFileURL(join(REPO_ROOT, 'system', 'target.ts')).href;
    const module = (await import(entry)) as { default: Target };
    return module.default;
  }
  const dir = resolve(nameOrDir);
  if (existsSync(dir) && statSync(dir).isDirectory() && existsSync(join(dir, TARGET_FILE))) {
    return loadBlackBoxTarget(dir);
  }
  throw new UnknownTargetError(nameOrDir);
}
