import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTarget, UnknownTargetError } from '../../../harness/target/load-target.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('load-target');
afterAll(() => dir.remove());

describe('choosing the target at run time', () => {
  it('loads the reference system by name, and by default', async () => {
    const named = await loadTarget('reference');
    expect(named.name).toBe('reference');
    expect(Object.keys(named.flaws)).toContain('no-confirms');
    expect(named.workload).toEqual({ path: '/orders', body: 'reference-order', okStatuses: [202], refusedStatuses: [503] });
    expect(await loadTarget()).toBe(named);
  });

  it('refuses a name that is neither the reference nor a directory with a target.json, saying what it expected', async () => {
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    for (const bad of ['nope', empty, join(dir.path, 'missing')]) {
      const error = await loadTarget(bad).catch((e: unknown) => e);
      expect(error, bad).toBeInstanceOf(UnknownTargetError);
      expect((error as Error).message).toMatch(/expected "reference" .* or a directory holding a target\.json/);
    }
  });
});
