// Lets `bytes` bytes through per connection and direction, then closes the connection.
// The count survives updates and rebuilds of the chain (it is stub state), like Toxiproxy's.
import { EOF } from '../stream.ts';
import type { ToxicStub } from './toxic-stub.ts';
import { INTERRUPTED, registerToxic, type StatefulToxic } from './toxic.ts';

interface LimitDataState {
  transmitted: number;
}

export class LimitDataToxic implements StatefulToxic {
  static readonly structName = 'LimitDataToxic';
  static readonly attributes = { bytes: 'int64' } as const;

  bytes = 0;

  newState(): LimitDataState {
    return { transmitted: 0 };
  }

  async pipe(stub: ToxicStub): Promise<void> {
    const state = stub.state as LimitDataState;
    for (;;) {
      const chunk = await stub.read();
      if (chunk === INTERRUPTED) return;
      if (chunk === EOF) return stub.close();
      const remaining = Math.max(0, this.bytes - state.transmitted);
      const data = remaining < chunk.data.length ? chunk.data.subarray(0, remaining) : chunk.data;
      if (data.length > 0) {
        stub.write({ data, at: chunk.at });
        state.transmitted += data.length;
      }
      if (this.bytes - state.transmitted <= 0) return stub.close();
    }
  }
}

registerToxic('limit_data', LimitDataToxic);
