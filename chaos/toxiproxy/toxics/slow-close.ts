// Holds the end of the stream back for `delay` ms: the peer sees the close late, the data on time.
import { EOF } from '../stream.ts';
import type { ToxicStub } from './toxic-stub.ts';
import { INTERRUPTED, registerToxic, type Toxic } from './toxic.ts';

export class SlowCloseToxic implements Toxic {
  static readonly structName = 'SlowCloseToxic';
  static readonly attributes = { delay: 'int64' } as const;

  /** milliseconds */
  delay = 0;

  async pipe(stub: ToxicStub): Promise<void> {
    for (;;) {
      const chunk = await stub.read();
      if (chunk === INTERRUPTED) return;
      if (chunk !== EOF) {
        stub.write(chunk);
        continue;
      }
      if (await stub.sleep(this.delay)) return stub.close();
      // Interrupted while holding the end: give it back so the rebuilt chain still closes.
      return stub.unread(EOF);
    }
  }
}

registerToxic('slow_close', SlowCloseToxic);
