// Delays every chunk by latency +/- jitter, measured from when the chunk was read from the source,
// so a steady stream is shifted in time rather than slowed down.
import { EOF } from '../stream.ts';
import type { ToxicStub } from './toxic-stub.ts';
import { INTERRUPTED, registerToxic, type Toxic } from './toxic.ts';

export class LatencyToxic implements Toxic {
  static readonly structName = 'LatencyToxic';
  static readonly attributes = { latency: 'int64', jitter: 'int64' } as const;

  /** milliseconds */
  latency = 0;
  /** milliseconds; each chunk gets a uniform offset in [-jitter, +jitter) */
  jitter = 0;

  private delay(): number {
    if (this.jitter <= 0) return this.latency;
    return this.latency + Math.floor(Math.random() * this.jitter * 2) - this.jitter;
  }

  async pipe(stub: ToxicStub): Promise<void> {
    for (;;) {
      const chunk = await stub.read();
      if (chunk === INTERRUPTED) return;
      if (chunk === EOF) return stub.close();
      const wait = this.delay() - (performance.now() - chunk.at);
      if (!(await stub.sleep(wait))) {
        // Hand it back with its read time intact: a rebuilt chain keeps delaying it, a removed toxic lets it go now.
        stub.unread(chunk);
        return;
      }
      // Later toxics in the chain measure their delay from here, so latencies add up.
      chunk.at += wait;
      stub.write(chunk);
    }
  }
}

registerToxic('latency', LatencyToxic);
