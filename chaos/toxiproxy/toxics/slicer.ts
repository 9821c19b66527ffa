// Cuts each chunk into pieces of about average_size +/- size_variation bytes, `delay` microseconds apart,
// to exercise parsers that assume a message arrives in one read.
import { EOF } from '../stream.ts';
import type { ToxicStub } from './toxic-stub.ts';
import { INTERRUPTED, registerToxic, type Toxic } from './toxic.ts';

const MICROSECONDS_PER_MS = 1000;

export class SlicerToxic implements Toxic {
  static readonly structName = 'SlicerToxic';
  static readonly attributes = { average_size: 'int', size_variation: 'int', delay: 'int' } as const;

  average_size = 0;
  /** should be smaller than average_size */
  size_variation = 0;
  /** microseconds between pieces */
  delay = 0;

  /** Piece boundaries for [start, end): split near the middle and recurse, so sizes vary evenly along the chunk. */
  private cut(start: number, end: number, into: number[]): void {
    const variation = Math.max(0, this.size_variation);
    if (end - start - this.average_size <= variation || end - start <= 1) {
      into.push(end);
      return;
    }
    const offset = variation > 0 ? Math.floor(Math.random() * variation * 2) - variation : 0;
    const mid = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + offset));
    this.cut(start, mid, into);
    this.cut(mid, end, into);
  }

  async pipe(stub: ToxicStub): Promise<void> {
    let due = 0;
    for (;;) {
      const chunk = await stub.read();
      if (chunk === INTERRUPTED) return;
      if (chunk === EOF) return stub.close();
      const ends: number[] = [];
      this.cut(0, chunk.data.length, ends);
      // An absolute schedule, so sub-millisecond delays add up instead of each costing a whole timer tick.
      due = Math.max(due, performance.now());
      let from = 0;
      for (const to of ends) {
        stub.write({ data: chunk.data.subarray(from, to), at: chunk.at });
        from = to;
        due += this.delay / MICROSECONDS_PER_MS;
        if (!(await stub.pace(due))) {
          if (from < chunk.data.length) stub.unread({ data: chunk.data.subarray(from), at: chunk.at });
          return;
        }
      }
    }
  }
}

registerToxic('slicer', SlicerToxic);
