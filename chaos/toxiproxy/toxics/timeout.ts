// Swallows all data. With timeout > 0 it closes the connection once nothing has arrived for that long
// (each chunk restarts the wait, as in Toxiproxy); with 0 it never closes on its own.
// Removing it closes the connections it held, because the bytes it swallowed are gone.
import { EOF } from '../stream.ts';
import type { ToxicStub } from './toxic-stub.ts';
import { INTERRUPTED, TIMED_OUT, registerToxic, type CleanupToxic } from './toxic.ts';

export class TimeoutToxic implements CleanupToxic {
  static readonly structName = 'TimeoutToxic';
  static readonly attributes = { timeout: 'int64' } as const;

  /** milliseconds; 0 means hold the connection open forever */
  timeout = 0;

  async pipe(stub: ToxicStub): Promise<void> {
    const within = this.timeout > 0 ? this.timeout : undefined;
    for (;;) {
      const chunk = await stub.readWithin(within);
      if (chunk === INTERRUPTED) return;
      if (chunk === EOF || chunk === TIMED_OUT) return stub.close();
      // Dropped on purpose: a timed-out peer never sees these bytes.
    }
  }

  cleanup(stub: ToxicStub): void {
    stub.close();
  }
}

registerToxic('timeout', TimeoutToxic);
