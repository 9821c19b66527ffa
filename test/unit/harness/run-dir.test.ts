import { chmodSync, existsSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunDir, ensureRunsRootWritable, RunsDirUnwritableError } from '../../../harness/runner/run-dir.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('run-dir');
afterAll(() => dir.remove());

const READ_ONLY_DIR_MODE = 0o555;
// root writes through 0555; only a non-root process can be refused by a mode bit.
const isRoot = process.getuid?.() === 0;

describe('run directories', () => {
  it('creates runs/<scenario>/<timestamp> and points runs/latest at it', () => {
    const root = join(dir.path, 'ok');
    ensureRunsRootWritable(root);
    const at = new Date('2024-01-02T03:04:05.678Z');
    const first = createRunDir(root, 'broker-kill', at);
    const second = createRunDir(root, 'broker-kill', at);
    expect(first).toBe(join(root, 'broker-kill', '2024-01-02T03-04-05-678Z'));
    expect(second).toBe(`${first}-2`);
    expect(readlinkSync(join(root, 'latest'))).toBe(join('broker-kill', '2024-01-02T03-04-05-678Z-2'));
  });

  it('names the runs directory and what to do when it cannot be created (a file in the way)', () => {
    const file = join(dir.path, 'a-file');
    writeFileSync(file, '');
    const root = join(file, 'runs');
    expect(() => ensureRunsRootWritable(root)).toThrow(RunsDirUnwritableError);
    expect(() => ensureRunsRootWritable(root)).toThrow(
      `runs directory ${root} is not writable (ENOTDIR on mkdir ${root}): ` +
        'make it writable by this user, or set HARNESS_RUNS_DIR to a writable directory',
    );
    expect(() => createRunDir(root, 'broker-kill')).toThrow(RunsDirUnwritableError);
  });

  it.skipIf(isRoot)('refuses a read-only runs directory with EACCES, up front and when creating a run', () => {
    const root = join(dir.path, 'read-only');
    mkdirSync(root);
    chmodSync(root, READ_ONLY_DIR_MODE);
    expect(() => ensureRunsRootWritable(root)).toThrow(/^runs directory .* is not writable \(EACCES/);
    expect(() => createRunDir(root, 'broker-kill')).toThrow(/^runs directory .* is not writable \(EACCES on mkdir .*broker-kill/);
    expect(existsSync(join(root, 'broker-kill'))).toBe(false);
  });
});
