import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executableCandidates, findOnPath, isExecutable } from '../../../harness/env/find-on-path.ts';

describe('findOnPath', () => {
  let root: string;
  const dir = (name: string): string => {
    const path = join(root, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  const file = (path: string, mode: number): string => {
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, mode);
    return path;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'find-on-path-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('takes the first executable in PATH order, passing over a file that is not executable', () => {
    const [a, b, c] = [dir('a'), dir('b'), dir('c')];
    file(join(a, 'tool'), 0o644);
    const wanted = file(join(b, 'tool'), 0o755);
    file(join(c, 'tool'), 0o755);
    expect(findOnPath('tool', { PATH: [a, b, c].join(delimiter) })).toBe(wanted);
  });

  it('looks in the fallback directories only after PATH', () => {
    const [onPath, fallback] = [dir('on-path'), dir('fallback')];
    const fallbackTool = file(join(fallback, 'tool'), 0o755);
    expect(findOnPath('tool', { PATH: onPath }, [fallback])).toBe(fallbackTool);
    const pathTool = file(join(onPath, 'tool'), 0o755);
    expect(findOnPath('tool', { PATH: onPath }, [fallback])).toBe(pathTool);
  });

  it('takes a name with a slash as the only candidate, and says undefined when nothing is there', () => {
    const elsewhere = dir('elsewhere');
    file(join(elsewhere, 'tool'), 0o755);
    expect(executableCandidates('./tool', { PATH: elsewhere })).toEqual(['./tool']);
    expect(findOnPath(join(root, 'missing', 'tool'), { PATH: elsewhere })).toBeUndefined();
    expect(findOnPath('tool', {})).toBeUndefined();
  });

  it('skips empty PATH entries rather than looking in the working directory', () => {
    expect(executableCandidates('tool', { PATH: `${delimiter}/x${delimiter}` })).toEqual([join('/x', 'tool')]);
  });

  it('isExecutable is false for a missing file and a plain file', () => {
    expect(isExecutable(join(root, 'nothing'))).toBe(false);
    expect(isExecutable(file(join(dir('d'), 'plain'), 0o600))).toBe(false);
  });
});
