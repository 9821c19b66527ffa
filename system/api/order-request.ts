import { z } from 'zod';
import type { OrderCreated } from '../messages.ts';
import {
  formatCents,
  idSchema,
  itemsSchema,
  MAX_ITEM_QUANTITY,
  MAX_ORDER_ITEMS,
  MAX_ORDER_TOTAL_CENTS,
  MAX_PRICE_CENTS,
  ORDER_ID_EXPECTED,
  ORDER_ID_PATTERN,
  orderTotalCents,
  priceSchema,
  priceToCents,
  quantitySchema,
} from '../order-bounds.ts';

/** The largest `POST /orders` body read; anything longer is refused without being parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

// Item and bound schemas are the workers' own (order-bounds.ts), in the client's units.
const itemSchema = z.strictObject({
  productId: idSchema,
  quantity: quantitySchema,
  price: priceSchema,
});

const orderRequestSchema = z
  .strictObject({
    /** Client-chosen id: retrying with the same id and body never creates a second order. */
    id: z.string().regex(ORDER_ID_PATTERN, `expected ${ORDER_ID_EXPECTED}`).optional(),
    userId: idSchema,
    items: itemsSchema(itemSchema),
  })
  .superRefine((order, ctx) => {
    // Zod runs this even when an item is invalid; that item's own problem is the one to report.
    if (!Array.isArray(order.items) || !order.items.every((i) => itemSchema.safeParse(i).success)) return;
    const total = orderTotalCents(order.items.map(lineInCents));
    if (total > MAX_ORDER_TOTAL_CENTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['total'],
        message:
          `expected an order total (sum of price x quantity) of at most ${formatCents(MAX_ORDER_TOTAL_CENTS)}, ` +
          `got ${formatCents(total)}`,
      });
    }
  });

export type OrderRequest = z.infer<typeof orderRequestSchema>;

export class InvalidOrderError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid order: ${problems.join('; ')}`);
    this.name = 'InvalidOrderError';
  }
}

const EXPECTED_SHAPE =
  `{"userId": string, "items": [1-${MAX_ORDER_ITEMS} of {"productId": string, "quantity": integer 1-${MAX_ITEM_QUANTITY}, ` +
  `"price": number 0-${formatCents(MAX_PRICE_CENTS)} with at most 2 decimals}], "id"?: string}, ` +
  `total at most ${formatCents(MAX_ORDER_TOTAL_CENTS)}`;

/** Parses a request body, naming every problem found (path and what was expected). */
export function parseOrderRequest(text: string): OrderRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidOrderError([`body is not valid JSON (${(err as Error).message}); expected ${EXPECTED_SHAPE}`]);
  }
  const parsed = orderRequestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidOrderError(parsed.error.issues.map((i) => `${formatPath(i.path) || 'body'}: ${i.message}`));
  }
  return parsed.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, k) => (typeof p === 'number' ? `[${p}]` : `${k === 0 ? '' : '.'}${String(p)}`)).join('');
}

function lineInCents(item: OrderRequest['items'][number]): OrderCreated['items'][number] {
  return { productId: item.productId, quantity: item.quantity, priceCents: priceToCents(item.price) };
}

export function toOrderCreated(orderId: string, request: OrderRequest, acceptedAt: number): OrderCreated {
  const items = request.items.map(lineInCents);
  return { orderId, userId: request.userId, items, totalCents: orderTotalCents(items), acceptedAt };
}
