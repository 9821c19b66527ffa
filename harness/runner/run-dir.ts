import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/** `runs/<scenario>/<timestamp>/`, with `runs/latest` pointing at it. */
export function createRunDir(runsRoot: string, scenario: string, at = new Date()): string {
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
}
