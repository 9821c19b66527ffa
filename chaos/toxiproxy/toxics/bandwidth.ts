// Throttles a direction to `rate` KB/s. Each piece is due `bytes / rate` ms after the previous one, on an
// absolute schedule, so a timer that fires late is paid back by the next pieces and the average rate stays
// exact even on a busy machine (Toxiproxy carries a sleep debt for the same reason).
import { EOF } from '../stream.ts';
import type { ToxicStub } from './toxic-stub.ts';
import { INTERRUPTED, registerToxic, type Toxic } from './toxic.ts';

// Chunks bigger than 100 ms worth of bytes go out in 100 ms pieces, so a slow rate still looks like a stream.
const SLICE_MS = 100;

export class BandwidthToxic implements Toxic {
  static readonly structName = 'BandwidthToxic';
  static readonly attributes = { rate: 'int64' } as const;

  /** KB/s (1 KB = 1000 bytes, so it is also bytes per millisecond); <= 0 means unlimited */
  rate = 0;

  async pipe(stub: ToxicStub): Promise<void> {
    let due = 0;
    for (;;) {
      const chunk = await stub.read();
      if (chunk === INTERRUPTED) return;
      if (chunk === EOF) return stub.close();
      if (this.rate <= 0) {
        stub.write(chunk);
        continue;
      }
      // An idle link earns no credit: the schedule restarts from now.
      due = Math.max(due, performance.now());
      while (chunk.data.length > 0) {
        const piece = Math.min(chunk.data.length, this.rate * SLICE_MS);
        due += piece / this.rate;
        if (!(await stub.pace(due))) return stub.unread(chunk);
        stub.write({ data: chunk.data.subarray(0, piece), at: chunk.at });
        chunk.data = chunk.data.subarray(piece);
      }
    }
  }
}

registerToxic('bandwidth', BandwidthToxic);
