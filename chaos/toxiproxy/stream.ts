// Chunks and the queues that join toxics into a chain (Toxiproxy's stream package and its Go channels).

/** Upstream is client to server, downstream server to client; the numbers order the toxic list like Toxiproxy does. */
export const Direction = { Upstream: 0, Downstream: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];
export const DIRECTIONS: readonly Direction[] = [Direction.Upstream, Direction.Downstream];

const DIRECTION_NAMES = ['upstream', 'downstream'] as const;

/** Case-insensitive, as Toxiproxy's stream.ParseDirection. */
export function parseDirection(value: string): Direction | undefined {
  const index = DIRECTION_NAMES.indexOf(value.toLowerCase() as (typeof DIRECTION_NAMES)[number]);
  return index < 0 ? undefined : (index as Direction);
}

/** `at` is when the bytes were read from the source (ms, performance.now()); latency is measured from it. */
export interface StreamChunk {
  data: Buffer;
  at: number;
}

/** End of stream travels through the chain like a nil chunk through a closed Go channel. */
export const EOF = Symbol('EOF');
export type StreamItem = StreamChunk | typeof EOF;

/** Where a toxic (or the source) sends what it lets through. */
export interface Outlet {
  push(chunk: StreamChunk): void;
  end(): void;
}

/** Counts bytes waiting in a link's queues, so the link can stop reading its source when they pile up. */
export interface ByteMeter {
  queued(bytes: number): void;
  dequeued(bytes: number): void;
}

// Compacting the array only once the consumed head is large keeps take() O(1) amortised.
const COMPACT_AFTER = 1024;

/** An unbounded single-reader queue: the input of one toxic stub. */
export class Channel implements Outlet {
  private items: StreamItem[] = [];
  private head = 0;
  private waiter: (() => void) | undefined;

  constructor(private readonly meter: ByteMeter) {}

  push(chunk: StreamChunk): void {
    this.meter.queued(chunk.data.length);
    this.items.push(chunk);
    this.notify();
  }

  end(): void {
    this.items.push(EOF);
    this.notify();
  }

  /** Puts an item back at the front, for a toxic that is interrupted while holding it. */
  unshift(item: StreamItem): void {
    if (item !== EOF) this.meter.queued(item.data.length);
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
    this.notify();
  }

  /** The next item, or undefined when the queue is empty. */
  take(): StreamItem | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++] as StreamItem;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (item !== EOF) this.meter.dequeued(item.data.length);
    return item;
  }

  /** Calls `callback` once, at the next push (only one reader ever waits). */
  onReadable(callback: (() => void) | undefined): void {
    this.waiter = callback;
  }

  private notify(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    waiter();
  }
}
