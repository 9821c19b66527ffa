import type { HistoryEvent } from '../instrument/history-event.ts';

// How many broker messages the order system moves per order and per second, counted from a
// step's histories (not assumed from the topology), and how that compares with raw publishing.

/** The client-chosen ids of one step's orders start with this: steps use different seeds. */
export function orderIdPrefix(seed: number): string {
  return `order-${seed}-`;
}

/** True for events about one of this step's orders (lifecycle and settle events carry no order id). */
export function belongsToStep(event: HistoryEvent, prefix: string): boolean {
  const orderId = (event as { orderId?: unknown }).orderId;
  return typeof orderId === 'string' && orderId.startsWith(prefix);
}

export interface MessageCounts {
  publishAttempts: number;
  /** Publishes the broker confirmed (what the raw baseline counts too). */
  confirmedPublishes: number;
  /** Deliveries to consumers, redeliveries included: each is broker work. */
  deliveries: number;
}

/** Counts broker traffic from history events as they are read. */
export class MessageCounter {
  readonly counts: MessageCounts = { publishAttempts: 0, confirmedPublishes: 0, deliveries: 0 };

  ingest(events: Iterable<HistoryEvent>): void {
    for (const e of events) {
      if (e.kind === 'publish-attempt') this.counts.publishAttempts++;
      else if (e.kind === 'publish-result' && e.outcome === 'ok') this.counts.confirmedPublishes++;
      else if (e.kind === 'deliver') this.counts.deliveries++;
    }
  }
}

export interface BrokerRates {
  publishesPerOrder: number | null;
  deliveriesPerOrder: number | null;
  /** Per second of the step's load window: the broker traffic that goes with the step's order rate. */
  publishesPerSecond: number;
  deliveriesPerSecond: number;
}

/**
 * `windowSeconds` is the window the client's achieved rate is measured over; messages of the
 * step's orders that move during the drain still count, so the rates are what the pipeline needs
 * per second at that order rate.
 */
export function brokerRates(counts: MessageCounts, acceptedOrders: number, windowSeconds: number): BrokerRates {
  if (!(windowSeconds > 0)) throw new RangeError(`windowSeconds: expected > 0, got ${windowSeconds}`);
  return {
    publishesPerOrder: acceptedOrders > 0 ? counts.confirmedPublishes / acceptedOrders : null,
    deliveriesPerOrder: acceptedOrders > 0 ? counts.deliveries / acceptedOrders : null,
    publishesPerSecond: counts.confirmedPublishes / windowSeconds,
    deliveriesPerSecond: counts.deliveries / windowSeconds,
  };
}

/** The window `achievedRate` is computed over: the schedule's length, or longer if dispatch ran late. */
export function loadWindowSeconds(stepSeconds: number, dispatchMs: number): number {
  return Math.max(stepSeconds, dispatchMs / 1000);
}

/** Order-system broker publishes/s as a fraction of raw confirmed publishes/s; null without a baseline. */
export function publishRatio(orderSystemPublishesPerSecond: number, rawPublishesPerSecond: number | null | undefined): number | null {
  if (rawPublishesPerSecond === null || rawPublishesPerSecond === undefined || !(rawPublishesPerSecond > 0)) return null;
  return orderSystemPublishesPerSecond / rawPublishesPerSecond;
}

/** Confirmed messages per second of a raw run; zero seconds gives zero rather than Infinity. */
export function messagesPerSecond(messages: number, seconds: number): number {
  return seconds > 0 ? messages / seconds : 0;
}
