// The per-connection, per-direction seat a toxic runs in: its input queue, its output, its state,
// and the interrupt that lets the chain be rebuilt while bytes are in flight (Toxiproxy's ToxicStub).
import type { Channel, Outlet, StreamChunk, StreamItem } from '../stream.ts';
import { NoopToxic } from './noop.ts';
import { INTERRUPTED, TIMED_OUT, type Toxic } from './toxic.ts';

export type ReadResult = StreamItem | typeof INTERRUPTED;

/** What a stub runs: the toxic and the probability that it applies at all. */
export interface RunnableToxic {
  readonly toxic: Toxic;
  readonly toxicity: number;
}

const NOOP = new NoopToxic();

/** Node timers cannot fire sooner than this. */
const TIMER_TICK_MS = 1;

/** `force` wakes even an uninterruptible sleep: the connection is gone. */
type Wake = (force: boolean) => void;

export class ToxicStub {
  state: unknown;
  private closedFlag = false;
  private interruptRequested = false;
  private disposed = false;
  private wake: Wake | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    readonly input: Channel,
    public output: Outlet,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Toxicity is rolled on every run, so on every rebuild of this stub, as Toxiproxy does. */
  run(runnable: RunnableToxic): void {
    if (this.disposed || this.closedFlag) return;
    const toxic = Math.random() < runnable.toxicity ? runnable.toxic : NOOP;
    this.running = toxic.pipe(this).catch(() => this.close());
  }

  /**
   * Stops the running toxic so it can be replaced. Resolves true once it has returned (everything it held
   * is back in the input), false if the stub closed instead: the connection is going away.
   */
  async interrupt(): Promise<boolean> {
    if (this.closedFlag || this.disposed) return false;
    this.interruptRequested = true;
    this.wake?.(false);
    await this.running;
    this.interruptRequested = false;
    return !this.closedFlag && !this.disposed;
  }

  /** The connection is gone: end the toxic for good and cancel its timers. */
  dispose(): void {
    this.disposed = true;
    this.interruptRequested = true;
    this.wake?.(true);
  }

  /** The next chunk, EOF, or INTERRUPTED. */
  read(): Promise<ReadResult> {
    return this.readWithin(undefined) as Promise<ReadResult>;
  }

  /** Like read(), but gives up with TIMED_OUT once `timeoutMs` passes without anything arriving. */
  readWithin(timeoutMs: number | undefined): Promise<ReadResult | typeof TIMED_OUT> {
    if (this.interruptRequested) return Promise.resolve(INTERRUPTED);
    const ready = this.input.take();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (result: ReadResult | typeof TIMED_OUT): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.wake = undefined;
        this.input.onReadable(undefined);
        resolve(result);
      };
      this.wake = () => settle(INTERRUPTED);
      this.input.onReadable(() => settle(this.input.take() as StreamItem));
      if (timeoutMs !== undefined) timer = setTimeout(() => settle(TIMED_OUT), Math.max(0, timeoutMs));
    });
  }

  /** Waits `ms`; resolves false if interrupted first. Uninterruptible sleeps only end early when disposed. */
  sleep(ms: number, interruptible = true): Promise<boolean> {
    if (this.disposed || (interruptible && this.interruptRequested)) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    const deadline = performance.now() + ms;
    return new Promise<boolean>((resolve) => {
      // Node timers tick on a whole-millisecond clock and can fire just before the deadline; a toxic
      // must never deliver early, so re-arm for whatever is left.
      const expire = (): void => {
        const left = deadline - performance.now();
        if (left > 0) {
          timer = setTimeout(expire, left);
          return;
        }
        this.wake = undefined;
        resolve(true);
      };
      let timer = setTimeout(expire, ms);
      this.wake = (force) => {
        if (!force && !interruptible) return;
        clearTimeout(timer);
        this.wake = undefined;
        resolve(false);
      };
    });
  }

  /**
   * For pacing toxics (bandwidth, slicer) that keep an absolute schedule: waits until `due` (a
   * performance.now() time), but sends at once when that is under a timer tick away. Node cannot sleep
   * less than a millisecond, so tiny waits accumulate in the schedule until they are worth a timer.
   */
  pace(due: number): Promise<boolean> {
    const wait = due - performance.now();
    if (wait < TIMER_TICK_MS) return Promise.resolve(!this.interruptRequested);
    return this.sleep(wait);
  }

  write(chunk: StreamChunk): void {
    this.output.push(chunk);
  }

  /** Hands an item back to the front of the input, so nothing is dropped or reordered by an interrupt. */
  unread(item: StreamItem): void {
    this.input.unshift(item);
  }

  /** Ends this stub's output: the end of the stream moves on down the chain. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.output.end();
  }
}
