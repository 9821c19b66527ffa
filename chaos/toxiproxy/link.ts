// One direction of one proxied connection: source socket -> chain of toxic stubs -> destination socket
// (Toxiproxy's ToxicLink). With no toxics the source writes straight into the destination, a plain pipe
// with no per-chunk allocation or timer. Toxics are added, updated and removed on the live chain the way
// Toxiproxy does it: interrupt the neighbouring stub, re-point its output, and let queued bytes through
// in order, so a change never loses or reorders data.
import type { Socket } from 'node:net';
import { UNCOUNTED, type LinkTraffic } from './proxy-metrics.ts';
import { Channel, EOF, type ByteMeter, type Direction, type Outlet, type StreamChunk } from './stream.ts';
import { ToxicStub, type RunnableToxic } from './toxics/toxic-stub.ts';
import { isCleanup, isStateful, type ToxicClass } from './toxics/toxic.ts';

/** What a link needs of the chain entry it runs: the toxic, its toxicity and its class. */
export interface LinkToxic extends RunnableToxic {
  readonly toxicClass: ToxicClass;
}

/** Shared by both links of a connection. */
export interface LinkConnection {
  /** Set once a reset_peer toxic touches the connection: every close after that is an RST. */
  resetOnClose: boolean;
}

// Stop reading the source once this much is queued inside the chain (a bandwidth or latency toxic holding
// bytes back); TCP then pushes back on the sender, as Toxiproxy's bounded channels do.
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = HIGH_WATER_BYTES / 2;

interface ChainEntry {
  stub: ToxicStub;
  toxic: LinkToxic;
}

export class ToxicLink implements ByteMeter {
  private readonly chain: ChainEntry[] = [];
  private readonly sink: Outlet;
  private entry: Outlet;
  private queuedBytes = 0;
  private paused = false;
  private sourceEnded = false;
  private destEnded = false;

  constructor(
    readonly direction: Direction,
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly connection: LinkConnection,
    private readonly traffic: LinkTraffic = UNCOUNTED,
  ) {
    this.sink = { push: (chunk) => this.deliver(chunk.data), end: () => this.endDest() };
    this.entry = this.sink;
  }

  start(toxics: readonly LinkToxic[]): void {
    for (const toxic of toxics) {
      const stub = this.newStub(toxic);
      const last = this.chain.at(-1);
      if (last === undefined) this.entry = stub.input;
      else last.stub.output = stub.input;
      this.chain.push({ stub, toxic });
    }
    for (const { stub, toxic } of this.chain) stub.run(toxic);
    this.source.on('data', this.onData);
    this.source.on('end', this.onSourceEnd);
    this.source.on('close', this.onSourceEnd);
    this.dest.on('drain', this.onDrain);
  }

  /** Appends a toxic to the end of the live chain. */
  async addToxic(toxic: LinkToxic): Promise<void> {
    const stub = this.newStub(toxic);
    const last = this.chain.at(-1);
    this.chain.push({ stub, toxic });
    if (last === undefined) {
      this.entry = stub.input;
      stub.run(toxic);
      return;
    }
    // Interrupt the last toxic so it is not mid-write while its output moves.
    if (await last.stub.interrupt()) {
      last.stub.output = stub.input;
      stub.run(toxic);
      last.stub.run(last.toxic);
    } else {
      // The link is already closing: keep the chain aligned with a stub that is closed too.
      stub.output = stub.input;
      stub.close();
    }
  }

  /** Restarts the stub at `index` with the toxic's new settings (and a fresh toxicity roll). */
  async updateToxic(index: number, toxic: LinkToxic): Promise<void> {
    const entry = this.chain[index];
    if (entry === undefined) return;
    entry.toxic = toxic;
    if (await entry.stub.interrupt()) entry.stub.run(toxic);
  }

  /** Takes the stub at `index` out of the chain; what waits in its queue goes on untouched. */
  async removeToxic(index: number): Promise<void> {
    const target = this.chain[index];
    if (target === undefined) return;
    if (!(await target.stub.interrupt())) {
      this.chain.splice(index, 1);
      return;
    }
    // Decided by the toxic, not by this connection's toxicity roll, as Toxiproxy does.
    if (isCleanup(target.toxic.toxic)) {
      target.toxic.toxic.cleanup(target.stub);
      if (target.stub.closed) {
        this.chain.splice(index, 1);
        return;
      }
    }
    const previous = this.chain[index - 1];
    const previousRunning = previous === undefined ? false : await previous.stub.interrupt();
    // Nothing writes into the target's queue now (its feeder is stopped, or is the source, which only
    // runs between our synchronous steps), so flushing it and re-pointing the feeder keeps the order.
    for (let item = target.stub.input.take(); item !== undefined; item = target.stub.input.take()) {
      if (item === EOF) {
        target.stub.close();
        break;
      }
      target.stub.output.push(item);
    }
    if (previous === undefined) this.entry = target.stub.output;
    else previous.stub.output = target.stub.output;
    this.chain.splice(index, 1);
    target.stub.dispose();
    if (previous !== undefined && previousRunning) previous.stub.run(previous.toxic);
  }

  /** The connection is gone: stop every toxic and its timers. */
  dispose(): void {
    for (const { stub } of this.chain) stub.dispose();
    this.source.off('data', this.onData);
    this.dest.off('drain', this.onDrain);
  }

  queued(bytes: number): void {
    this.queuedBytes += bytes;
  }

  dequeued(bytes: number): void {
    this.queuedBytes -= bytes;
    if (this.paused) this.resumeIfRoom();
  }

  private newStub(toxic: LinkToxic): ToxicStub {
    const stub = new ToxicStub(new Channel(this), this.sink);
    if (isStateful(toxic.toxic)) stub.state = toxic.toxic.newState();
    if (toxic.toxicClass.resetsConnection === true) this.connection.resetOnClose = true;
    return stub;
  }

  private readonly onData = (data: Buffer): void => {
    this.traffic.received(data.length);
    if (this.entry === this.sink) {
      this.deliver(data);
      return;
    }
    const chunk: StreamChunk = { data, at: performance.now() };
    this.entry.push(chunk);
    if (this.queuedBytes > HIGH_WATER_BYTES) this.pause();
  };

  private readonly onSourceEnd = (): void => {
    if (this.sourceEnded) return;
    this.sourceEnded = true;
    this.entry.end();
  };

  private readonly onDrain = (): void => {
    if (this.paused) this.resumeIfRoom();
  };

  private deliver(data: Buffer): void {
    if (this.destEnded || this.dest.destroyed) return;
    this.traffic.sent(data.length);
    if (!this.dest.write(data)) this.pause();
  }

  /**
   * The end of the stream reached the destination. Toxiproxy then closes the destination socket
   * entirely, not just its write side; the other link sees its source close and ends in turn.
   */
  private endDest(): void {
    if (this.destEnded) return;
    this.destEnded = true;
    if (this.dest.destroyed) return;
    if (this.connection.resetOnClose) {
      this.dest.resetAndDestroy();
      return;
    }
    this.dest.end(() => this.dest.destroy());
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.source.pause();
  }

  private resumeIfRoom(): void {
    if (this.queuedBytes > LOW_WATER_BYTES || this.dest.writableNeedDrain) return;
    this.paused = false;
    this.source.resume();
  }
}
