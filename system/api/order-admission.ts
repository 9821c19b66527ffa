import { randomUUID } from 'node:crypto';
import type { Publisher, PublishResult } from '../amqp/publisher.ts';
import { EXCHANGES, ROUTING_KEYS } from '../amqp/topology.ts';
import { messageIds, type OrderCreated } from '../messages.ts';
import type { Claim } from '../stores/order-claims.ts';
import type { OrdersStore } from '../stores/orders-store.ts';

/** How often a request waiting on another process's publish of the same order looks again. */
export const CLAIM_POLL_MS = 20;
/** Beyond the confirm timeout: a claim whose publisher stayed silent this much longer is taken for dead. */
export const CLAIM_LEASE_MARGIN_MS = 5_000;

/** What the API answers, and how the request counts in the metrics. */
export interface Admission {
  status: 202 | 409 | 503;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  counted: 'accepted' | 'duplicate' | 'conflict' | 'unavailable';
}

export interface OrderAdmissionDeps {
  publisher: Pick<Publisher, 'publish'>;
  store: OrdersStore;
  /** The API process's name; claims an earlier process of this name left mid-publish are in doubt. */
  instance: string;
  confirmTimeoutMs: number;
}

/**
 * Publishes each order id at most once at a time and promises (202) only what the broker
 * confirmed. The id is claimed in the orders store before publishing: a different body for it is
 * a 409; the same body while it is being published waits for that attempt's answer; the same body
 * after a 202 is a 202 `duplicate` without publishing; the same body after a 503 publishes again
 * (same message id, so consumers take it once).
 */
export class OrderAdmission {
  readonly #deps: OrderAdmissionDeps;
  readonly #owner: string;
  readonly #leaseMs: number;
  /** This process's attempts in progress, for requests of the same order to wait on. */
  readonly #inFlight = new Map<string, Promise<Admission>>();

  constructor(deps: OrderAdmissionDeps) {
    this.#deps = deps;
    this.#owner = `${deps.instance}:${process.pid}:${randomUUID()}`;
    this.#leaseMs = deps.confirmTimeoutMs + CLAIM_LEASE_MARGIN_MS;
    deps.store.claims.abandonOwnedBy(`${deps.instance}:`);
  }

  /** `order(at)` builds the message for an attempt starting at `at` (its acceptedAt). */
  async admit(orderId: string, bodyHash: string, order: (at: number) => OrderCreated): Promise<Admission> {
    for (;;) {
      const claim = this.#deps.store.claims.claim(orderId, bodyHash, this.#owner, this.#leaseMs);
      if (claim.kind === 'conflict') return conflict(orderId);
      if (claim.kind === 'accepted') return this.#duplicate(orderId);
      if (claim.kind === 'claimed') return this.#publish(order(Date.now()), bodyHash);
      const mine = this.#inFlight.get(orderId);
      if (mine) return asDuplicate(await mine);
      const settled = await this.#waitForOther(orderId, bodyHash);
      if (settled) return settled;
      // The other publisher's lease lapsed: claim again (and take over).
    }
  }

  #publish(order: OrderCreated, bodyHash: string): Promise<Admission> {
    const { orderId } = order;
    const attempt = (async (): Promise<Admission> => {
      const message = {
        exchange: EXCHANGES.orders.name,
        routingKey: ROUTING_KEYS.orderCreated,
        messageId: messageIds.orderCreated(orderId),
        orderId,
        body: order,
      };
      let result: PublishResult;
      try {
        result = await this.#deps.publisher.publish(message);
      } catch (err) {
        // Never leave the claim behind: whatever happened, the message may exist.
        this.#deps.store.settleClaim(order, bodyHash, this.#owner, 'info');
        throw err;
      }
      const after = this.#deps.store.settleClaim(order, bodyHash, this.#owner, result.outcome);
      // Accepted by this attempt, or by an earlier in-doubt one that a concurrent retry saw confirmed.
      if (result.outcome === 'ok' || after?.state === 'accepted')
        return { status: 202, body: { orderId, status: 'accepted' }, counted: 'accepted' };
      return unavailable(orderId, result.error ?? 'broker unavailable', result.outcome === 'info' || after?.inDoubt ? 'info' : 'fail');
    })();
    this.#inFlight.set(orderId, attempt);
    return attempt.finally(() => this.#inFlight.delete(orderId));
  }

  /** Another process is publishing this order: its answer, or undefined once its lease lapsed. */
  async #waitForOther(orderId: string, bodyHash: string): Promise<Admission | undefined> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
      const claim: Claim | undefined = this.#deps.store.claims.get(orderId);
      if (!claim || claim.bodyHash !== bodyHash)
        return unavailable(orderId, 'a concurrent attempt with this id was refused by the broker', 'fail');
      if (claim.state === 'accepted') return this.#duplicate(orderId);
      if (claim.state === 'unconfirmed') return unavailable(orderId, 'a concurrent attempt with this id got no confirm', 'info');
      if ((claim.leaseUntil ?? 0) <= Date.now()) return undefined;
    }
  }

  #duplicate(orderId: string): Admission {
    return {
      status: 202,
      body: { orderId, status: this.#deps.store.find(orderId)?.status ?? 'accepted', duplicate: true },
      counted: 'duplicate',
    };
  }
}

function asDuplicate(answer: Admission): Admission {
  return answer.status === 202 ? { ...answer, body: { ...answer.body, duplicate: true }, counted: 'duplicate' } : answer;
}

function conflict(orderId: string): Admission {
  return { status: 409, body: { error: `order ${orderId} already exists with a different body` }, counted: 'conflict' };
}

function unavailable(orderId: string, error: string, outcome: 'fail' | 'info'): Admission {
  return {
    status: 503,
    body: { error: `order not accepted: ${error}`, orderId, outcome },
    headers: { 'retry-after': '1' },
    counted: 'unavailable',
  };
}
