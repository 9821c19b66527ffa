import type { DeclaredTopology } from '../target/target.ts';

/**
 * Messages no worker of the reference system can parse, as the harness injects them straight into
 * the work queues (the API validates everything, so a workload of orders never produces one).
 * Each kind breaks a plausible well-formed body of its queue in one way a real producer does:
 * - `bad-json`: the body cut in half (a producer that died mid-write, a frame limit);
 * - `wrong-schema`: valid JSON of another queue's message (a publish to the wrong exchange or key);
 * - `missing-ids`: the right message without its `orderId`;
 * - `wrong-types`: the right fields with the wrong JSON types (strings as numbers and back);
 * - `empty`: a zero-byte body.
 */
export const MALFORMED_KINDS = ['bad-json', 'wrong-schema', 'missing-ids', 'wrong-types', 'empty'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** A queue a worker parses: a work queue of the declared topology (a dead-letter queue's auditor takes any body). */
export type ParsedQueue = string;

type Body = Record<string, unknown>;

/** The order the samples belong to: none. */
const SAMPLE_ORDER_ID = 'malformed-sample';

const ORDER: Body = {
  orderId: SAMPLE_ORDER_ID,
  userId: 'user-1',
  items: [{ productId: 'sku-1', quantity: 1, priceCents: 1_000 }],
  totalCents: 1_000,
  acceptedAt: 0,
};
const PAYMENT: Body = { orderId: SAMPLE_ORDER_ID, userId: 'user-1', amountCents: 1_000, productIds: ['sku-1'] };
const STATUS: Body = { orderId: SAMPLE_ORDER_ID, type: 'payment.succeeded' };
const NOTIFICATION: Body = { orderId: SAMPLE_ORDER_ID, type: 'payment_succeeded' };

/**
 * A well-formed body of each of the reference system's work queues, by queue name (a unit test
 * keeps them accepted by its workers' schemas); any other queue gets an order-like body.
 */
export const WELL_FORMED: Readonly<Record<string, Body>> = {
  'order.created': ORDER,
  'inventory.update': ORDER,
  'order.audit': ORDER,
  'payment.process': PAYMENT,
  'order.status': STATUS,
  'notification.send': NOTIFICATION,
};

/** For `wrong-schema`: the message that lands in each queue by mistake, chosen so that its schema differs. */
const MISROUTED: Readonly<Record<string, Body>> = {
  'order.created': PAYMENT,
  'inventory.update': STATUS,
  'order.audit': NOTIFICATION,
  'payment.process': ORDER,
  'order.status': NOTIFICATION,
  'notification.send': STATUS,
};

const wellFormed = (queue: string): Body => WELL_FORMED[queue] ?? ORDER;
const misrouted = (queue: string): Body => MISROUTED[queue] ?? PAYMENT;

/**
 * The queues the harness injects into: every parsed queue without a length limit. In a bounded
 * drop-head queue (the audit feed) the broker may drop a message as `maxlen` before any worker
 * sees it (in `dlx`, where the feed overflows on purpose, most of them), so no death reason could
 * be required of a malformed message there, and an acked-and-dropped one would hide among them.
 */
export function malformedQueues(topology: Pick<DeclaredTopology, 'workQueues' | 'boundedQueues'>): ParsedQueue[] {
  return topology.workQueues.filter((q) => topology.boundedQueues[q] === undefined);
}

export interface MalformedMessage {
  /** `malformed:<queue>:<n>`, n from 1 per queue: the harness accounts for each by this id. */
  id: string;
  queue: ParsedQueue;
  kind: MalformedKind;
  content: Buffer;
}

export function malformedId(queue: string, n: number): string {
  return `malformed:${queue}:${n}`;
}

export function malformedBody(queue: ParsedQueue, kind: MalformedKind): Buffer {
  const good = wellFormed(queue);
  switch (kind) {
    case 'bad-json': {
      const text = JSON.stringify(good);
      // A proper prefix of a JSON object lacks its closing brace: never valid JSON.
      return Buffer.from(text.slice(0, Math.floor(text.length / 2)));
    }
    case 'wrong-schema':
      return json(misrouted(queue));
    case 'missing-ids': {
      const { orderId: _dropped, ...rest } = good;
      return json(rest);
    }
    case 'wrong-types':
      return json(
        Object.fromEntries(
          Object.entries(good).map(([k, v]) => [k, typeof v === 'string' ? v.length : typeof v === 'number' ? String(v) : v]),
        ),
      );
    case 'empty':
      return Buffer.alloc(0);
  }
}

/**
 * `perQueue` messages for every queue of `queues` (malformedQueues), interleaved queue by queue so that spreading
 * the list over time spreads every queue's messages; a queue's n-th message is the n-th kind (cycling).
 */
export function malformedCatalogue(perQueue: number, queues: readonly ParsedQueue[]): MalformedMessage[] {
  if (!Number.isInteger(perQueue) || perQueue < 1)
    throw new RangeError(`malformed messages per queue: expected a positive integer, got ${perQueue}`);
  const out: MalformedMessage[] = [];
  for (let n = 1; n <= perQueue; n++) {
    const kind = MALFORMED_KINDS[(n - 1) % MALFORMED_KINDS.length]!;
    for (const queue of queues) out.push({ id: malformedId(queue, n), queue, kind, content: malformedBody(queue, kind) });
  }
  return out;
}

function json(body: unknown): Buffer {
  return Buffer.from(JSON.stringify(body));
}
