// On the first data, waits `timeout` ms and then resets the connection (TCP RST, "connection reset by peer").
// The first chunk is dropped, and the wait cannot be interrupted: once triggered, the reset happens,
// even if the toxic is removed meanwhile (as in Toxiproxy).
import { EOF } from '../stream.ts';
import type { ToxicStub } from './toxic-stub.ts';
import { INTERRUPTED, registerToxic, type Toxic } from './toxic.ts';

export class ResetPeerToxic implements Toxic {
  static readonly structName = 'ResetToxic';
  static readonly attributes = { timeout: 'int64' } as const;
  static readonly resetsConnection = true;

  /** milliseconds after the first data */
  timeout = 0;

  async pipe(stub: ToxicStub): Promise<void> {
    const first = await stub.read();
    if (first === INTERRUPTED) return;
    if (first !== EOF) await stub.sleep(this.timeout, false);
    // The connection's sockets close with SO_LINGER 0, so closing the stream is the reset.
    stub.close();
  }
}

registerToxic('reset_peer', ResetPeerToxic);
