import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// One lookup of executables for every binary the harness starts (rabbitmq-server, epmd, prometheus,
// promtool): each caller adds only where its package hides the binary when PATH does not lead there.

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `name` is looked for, in order: itself when it is a path (an explicit choice is not searched
 * for elsewhere), else each directory of PATH, then `fallbackDirs`.
 */
export function executableCandidates(name: string, env: NodeJS.ProcessEnv = process.env, fallbackDirs: readonly string[] = []): string[] {
  if (name.includes('/')) return [name];
  return [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...fallbackDirs].map((dir) => join(dir, name));
}

/** The first executable candidate (see executableCandidates), or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env, fallbackDirs: readonly string[] = []): string | undefined {
  return executableCandidates(name, env, fallbackDirs).find(isExecutable);
}
