// Passes everything through untouched. Also what a stub runs when a toxic's toxicity roll misses.
import { EOF } from '../stream.ts';
import type { ToxicStub } from './toxic-stub.ts';
import { INTERRUPTED, registerToxic, type Toxic } from './toxic.ts';

export class NoopToxic implements Toxic {
  static readonly structName = 'NoopToxic';
  static readonly attributes = {};

  async pipe(stub: ToxicStub): Promise<void> {
    for (;;) {
      const chunk = await stub.read();
      if (chunk === INTERRUPTED) return;
      if (chunk === EOF) return stub.close();
      stub.write(chunk);
    }
  }
}

registerToxic('noop', NoopToxic);
