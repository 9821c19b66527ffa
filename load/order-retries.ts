import { isRetryable, nextRetry, type GiveUpReason, type RetryPolicy } from './client-retry.ts';
import type { AttemptResult } from './order-attempt.ts';
import type { RequestBody } from './http-workload.ts';
import type { OrderIntent } from './order-body.ts';

// The client's retries of orders whose first attempt was refused for unavailability or left in doubt.
// They run beside the open-model generator, never in one of its in-flight slots: during a broker outage
// every first attempt fails fast, and retries holding slots would leave none for new arrivals, turning the
// outage into drops and a lower offered rate. Their own concurrency is bounded; an order waiting for a free
// retry slot still gives up at its deadline, so everything here settles by deadline + one request timeout.

export interface RetryOrder {
  index: number;
  orderId: string;
  /** sent unchanged on every attempt: same id, same body, so the API can tell a retry from a conflict */
  body: RequestBody;
  intent: OrderIntent;
  /** when the first attempt started, on the clock given to OrderRetries (performance.now() by default) */
  firstStartMs: number;
}

/** Sends attempt `attempt` (2, 3, ...) of `order` and records it; should resolve, never reject. */
export type SendAttempt = (order: RetryOrder, attempt: number) => Promise<AttemptResult>;

export interface OrderRetriesOptions {
  policy: RetryPolicy;
  /** most retry attempts in flight at once */
  concurrency: number;
  /**
   * Retry budget: at most this many retry attempts start per second, whatever the backlog (a
   * client fleet's retries must not multiply the load on a system that is coming back, nor starve
   * the generator's thread). Unlimited when absent.
   */
  ratePerSecond?: number;
  send: SendAttempt;
  /** the jitter stream of order `index` (client-retry.ts retryRandom) */
  random: (index: number) => () => number;
  now?: () => number;
}

export interface RetrySummary {
  /** retries allowed per order (0: retries off) */
  clientRetries: number;
  /** orders whose first attempt was refused for unavailability or left in doubt (5xx, timeout, connection error) */
  needed: number;
  /** retry attempts sent, first attempts not counted */
  attempts: number;
  /** orders a retry got accepted (2xx) */
  recovered: number;
  /** orders still not accepted after their last attempt */
  gaveUp: number;
  gaveUpBy: Record<GiveUpReason | 'refused', number>;
  /** orders whose retries the load's abort cut short, or certainly refused ones its end did: each keeps its last recorded outcome */
  abandoned: number;
  /** most retry attempts in flight at once */
  maxInFlight: number;
}

export class InvalidRetryOptionsError extends Error {
  override readonly name = 'InvalidRetryOptionsError';
}

/** A retry attempt's `send` rejected (e.g. its history could not be written): the retries cannot be trusted. */
export class RetrySendError extends Error {
  override readonly name = 'RetrySendError';
}

interface Entry {
  order: RetryOrder;
  /** attempts made so far, the first included */
  attempts: number;
  random: () => number;
  /** Its last answer left the order in doubt: it may be half done, so it goes first when the budget is short. */
  inDoubt: boolean;
}

export class OrderRetries {
  readonly #policy: RetryPolicy;
  readonly #concurrency: number;
  readonly #send: SendAttempt;
  readonly #random: (index: number) => () => number;
  readonly #now: () => number;
  readonly #ratePerSecond: number | undefined;
  #tokens = 0;
  #tokensAt = 0;
  #pumpTimer: NodeJS.Timeout | undefined;
  readonly #timers = new Map<NodeJS.Timeout, Entry>();
  readonly #waiting: Entry[] = [];
  #inFlight = 0;
  #abandoned = false;
  /** The load has ended: orders certainly refused are not retried any more (see dropRefused). */
  #refusedDropped = false;
  #failure: RetrySendError | undefined;
  #settleWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  readonly #c = { needed: 0, attempts: 0, recovered: 0, abandoned: 0, maxInFlight: 0, retriesExhausted: 0, deadline: 0, refused: 0 };

  constructor(options: OrderRetriesOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new InvalidRetryOptionsError(`retry concurrency: expected an integer >= 1, got ${options.concurrency}`);
    }
    this.#policy = options.policy;
    this.#concurrency = options.concurrency;
    this.#send = options.send;
    this.#random = options.random;
    this.#now = options.now ?? (() => performance.now());
    if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0))
      throw new InvalidRetryOptionsError(`retry rate: expected a number of retries per second > 0, got ${options.ratePerSecond}`);
    this.#ratePerSecond = options.ratePerSecond;
    this.#tokens = options.ratePerSecond ?? 0;
    this.#tokensAt = this.#now();
  }

  /** Takes an order's first answer: retries it later if the system asked for that, otherwise does nothing. */
  afterFirstAttempt(order: RetryOrder, first: AttemptResult): void {
    if (first.outcome === 'ok' || !isRetryable(first.answer)) return;
    this.#c.needed++;
    this.#schedule({ order, attempts: 1, random: this.#random(order.index), inDoubt: first.outcome === 'info' }, first);
  }

  /** Orders waiting for a retry or with a retry in flight. */
  pending(): number {
    return this.#timers.size + this.#waiting.length + this.#inFlight;
  }

  /**
   * The load has ended: stops retrying orders whose last answer said they were certainly not taken
   * (they have no effect that a retry could complete), now and for answers still to come. In-doubt
   * orders keep their retries: one may be half done. Without this a run waited out the retry
   * deadline (up to 30 s) after its last order for orders that could only end refused.
   */
  dropRefused(): void {
    this.#refusedDropped = true;
    for (const [timer, entry] of this.#timers) {
      if (entry.inDoubt) continue;
      clearTimeout(timer);
      this.#timers.delete(timer);
      this.#c.abandoned++;
    }
    const kept = this.#waiting.filter((e) => e.inDoubt);
    this.#c.abandoned += this.#waiting.length - kept.length;
    this.#waiting.splice(0, this.#waiting.length, ...kept);
    this.#checkSettled();
  }

  /** Starts no further attempt; attempts in flight finish and are recorded. For an aborted load. */
  abandon(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    for (const timer of this.#timers.keys()) clearTimeout(timer);
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    this.#c.abandoned += this.#timers.size + this.#waiting.length;
    this.#timers.clear();
    this.#waiting.length = 0;
    this.#checkSettled();
  }

  /** Resolves once no order waits for a retry and none is in flight (rejects if a `send` rejected). */
  settled(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#settleWaiters.push({ resolve, reject });
      this.#checkSettled();
    });
  }

  summary(): RetrySummary {
    const c = this.#c;
    const gaveUpBy = { 'retries-exhausted': c.retriesExhausted, deadline: c.deadline, refused: c.refused };
    return {
      clientRetries: this.#policy.maxRetries,
      needed: c.needed,
      attempts: c.attempts,
      recovered: c.recovered,
      gaveUp: c.retriesExhausted + c.deadline + c.refused,
      gaveUpBy,
      abandoned: c.abandoned,
      maxInFlight: c.maxInFlight,
    };
  }

  #schedule(entry: Entry, last: AttemptResult): void {
    if (this.#abandoned || (this.#refusedDropped && !entry.inDoubt)) {
      this.#c.abandoned++;
      return;
    }
    const retryAfterMs = last.answer.kind === 'response' ? last.answer.retryAfterMs : undefined;
    const decision = nextRetry(this.#policy, entry.attempts, entry.order.firstStartMs, this.#now(), entry.random, retryAfterMs);
    if (!decision.retry) {
      this.#giveUp(decision.reason);
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#waiting.push(entry);
      this.#pump();
    }, decision.delayMs);
    this.#timers.set(timer, entry);
  }

  /** Takes one retry token if the budget has one; otherwise arranges a pump when the next one is due. */
  #takeToken(): boolean {
    const rate = this.#ratePerSecond;
    if (rate === undefined) return true;
    const now = this.#now();
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#tokensAt) / 1000) * rate);
    this.#tokensAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    if (!this.#pumpTimer) {
      this.#pumpTimer = setTimeout(
        () => {
          this.#pumpTimer = undefined;
          this.#pump();
        },
        Math.ceil(((1 - this.#tokens) / rate) * 1000),
      );
    }
    return false;
  }

  #pump(): void {
    while (this.#inFlight < this.#concurrency && this.#waiting.length > 0) {
      const doubtful = this.#waiting.findIndex((e) => e.inDoubt);
      const next = this.#waiting[doubtful >= 0 ? doubtful : 0]!;
      // It waited for a free slot past its deadline: the user it stands for has walked away.
      if (this.#now() <= next.order.firstStartMs + this.#policy.deadlineMs && !this.#takeToken()) break;
      const entry = this.#waiting.splice(doubtful >= 0 ? doubtful : 0, 1)[0]!;
      // It waited for a free slot past its deadline: the user it stands for has walked away.
      if (this.#now() > entry.order.firstStartMs + this.#policy.deadlineMs) this.#giveUp('deadline');
      else this.#launch(entry);
    }
    this.#checkSettled();
  }

  #launch(entry: Entry): void {
    this.#inFlight++;
    this.#c.maxInFlight = Math.max(this.#c.maxInFlight, this.#inFlight);
    entry.attempts++;
    this.#c.attempts++;
    let sent: Promise<AttemptResult>;
    try {
      sent = Promise.resolve(this.#send(entry.order, entry.attempts));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (result) => {
        this.#inFlight--;
        if (result.outcome === 'ok') this.#c.recovered++;
        else if (result.answer.kind === 'aborted') this.#c.abandoned++;
        else if (!isRetryable(result.answer)) this.#giveUp('refused');
        else {
          entry.inDoubt = result.outcome === 'info';
          this.#schedule(entry, result);
        }
        this.#pump();
      },
      (error: unknown) => {
        this.#inFlight--;
        this.#c.abandoned++;
        this.#failure ??= new RetrySendError(
          `attempt ${entry.attempts} of ${entry.order.orderId}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
        this.abandon();
        this.#checkSettled();
      },
    );
  }

  #giveUp(reason: GiveUpReason | 'refused'): void {
    if (reason === 'retries-exhausted') this.#c.retriesExhausted++;
    else if (reason === 'deadline') this.#c.deadline++;
    else this.#c.refused++;
  }

  #checkSettled(): void {
    if (this.pending() > 0 || this.#settleWaiters.length === 0) return;
    const waiters = this.#settleWaiters;
    this.#settleWaiters = [];
    for (const w of waiters) {
      if (this.#failure) w.reject(this.#failure);
      else w.resolve();
    }
  }
}
