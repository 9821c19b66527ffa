import { describe, expect, it } from 'vitest';
import { loadCheck } from '../../../harness/checkers/load-check.ts';
import type { OpenModelSummary } from '../../../load/open-model-generator.ts';

const summary = (over: Partial<OpenModelSummary>): OpenModelSummary =>
  ({
    planned: 3000,
    scheduled: 3000,
    sent: 3000,
    dropped: 0,
    droppedNoFreeSlot: 0,
    droppedLate: 0,
    ok: 3000,
    failed: 0,
    abandoned: 0,
    targetRate: 100,
    achievedRate: 100,
    stoppedEarly: false,
    ...over,
  }) as OpenModelSummary;

describe('load check', () => {
  it('passes a run that offered its target', () => {
    expect(loadCheck(summary({ achievedRate: 99.5, dropped: 3 })).valid).toBe(true);
  });

  it('is unknown when the achieved rate fell far below the target (--rate 1000000 reached 5.5k/s)', () => {
    const result = loadCheck(
      summary({
        targetRate: 1_000_000,
        achievedRate: 5_500,
        scheduled: 1_000_000,
        sent: 8_282,
        dropped: 991_718,
        droppedNoFreeSlot: 991_718,
      }),
    );
    expect(result.valid).toBe('unknown');
    expect(result.summary).toMatch(/achieved 5500\/s of a 1000000\/s target \(1%, at least 90% needed\); 991718 requests dropped/);
  });

  it('is unknown when drops exceed the budget even if the rate looks fine', () => {
    expect(loadCheck(summary({ dropped: 200, droppedLate: 200 })).valid).toBe('unknown');
  });

  it('is unknown without a load summary', () => {
    expect(loadCheck(undefined).valid).toBe('unknown');
  });
});
