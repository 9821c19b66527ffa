import { accessSync, constants, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The runs directory (HARNESS_RUNS_DIR or runs/) cannot be created or written. The message names the
 * path and what to do, so a command can print it as one line instead of a stack.
 */
export class RunsDirUnwritableError extends Error {
  override readonly name = 'RunsDirUnwritableError';
  constructor(
    readonly runsRoot: string,
    readonly failure: NodeJS.ErrnoException,
  ) {
    const failed =
      failure.syscall !== undefined && failure.path !== undefined
        ? `${failure.code ?? 'error'} on ${failure.syscall} ${failure.path}`
        : failure.message;
    super(
      `runs directory ${runsRoot} is not writable (${failed}): ` +
        'make it writable by this user, or set HARNESS_RUNS_DIR to a writable directory',
    );
  }
}

/** Creates `runsRoot` if needed and checks this process may write there; before anything is started. */
export function ensureRunsRootWritable(runsRoot: string): void {
  writing(runsRoot, () => {
    mkdirSync(runsRoot, { recursive: true });
    accessSync(runsRoot, constants.W_OK | constants.X_OK);
  });
}

/** `runs/<scenario>/<timestamp>/`, with `runs/latest` pointing at it. */
export function createRunDir(runsRoot: string, scenario: string, at = new Date()): string {
  return writing(runsRoot, () => {
    const stamp = at.toISOString().replace(/[:.]/g, '-');
    let dir = join(runsRoot, scenario, stamp);
    for (let n = 2; ; n++) {
      try {
        mkdirSync(dir, { recursive: false });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') mkdirSync(join(runsRoot, scenario), { recursive: true });
        else if ((err as NodeJS.ErrnoException).code === 'EEXIST') dir = join(runsRoot, scenario, `${stamp}-${n}`);
        else throw err;
      }
    }
    const latest = join(runsRoot, 'latest');
    rmSync(latest, { force: true });
    symlinkSync(relative(runsRoot, dir), latest);
    return dir;
  });
}

/** Any file-system refusal (EACCES, EROFS, ENOTDIR, ENOSPC...) becomes the named error. */
function writing<T>(runsRoot: string, act: () => T): T {
  try {
    return act();
  } catch (err) {
    if (typeof (err as NodeJS.ErrnoException).code === 'string') throw new RunsDirUnwritableError(runsRoot, err as NodeJS.ErrnoException);
    throw err;
  }
}
