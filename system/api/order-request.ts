import { z } from 'zod';
import type { OrderCreated } from '../messages.ts';

/** The largest `POST /orders` body read; anything longer is refused without being parsed. */
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_ITEMS = 100;

const itemSchema = z.strictObject({
  productId: z.string().min(1).max(128),
  quantity: z.number().int().positive().max(10_000),
  price: z
    .number()
    .nonnegative()
    .refine((p) => Number.isFinite(p) && Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, 'expected a price with at most 2 decimal places'),
});

const orderRequestSchema = z.strictObject({
  /** Client-chosen id: retrying with the same id and body never creates a second order. */
  id: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'expected 1-128 characters of A-Z a-z 0-9 . _ : -')
    .optional(),
  userId: z.string().min(1).max(128),
  items: z.array(itemSchema).min(1).max(MAX_ITEMS),
});

export type OrderRequest = z.infer<typeof orderRequestSchema>;

export class InvalidOrderError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid order: ${problems.join('; ')}`);
    this.name = 'InvalidOrderError';
  }
}

/** Parses a request body, naming every problem found (path and what was expected). */
export function parseOrderRequest(text: string): OrderRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidOrderError([`body is not valid JSON (${(err as Error).message}); expected {"userId": string, "items": [{"productId": string, "quantity": positive integer, "price": number >= 0}], "id"?: string}`]);
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

export function toOrderCreated(orderId: string, request: OrderRequest, acceptedAt: number): OrderCreated {
  const items = request.items.map((i) => ({ productId: i.productId, quantity: i.quantity, priceCents: Math.round(i.price * 100) }));
  const totalCents = items.reduce((sum, i) => sum + i.priceCents * i.quantity, 0);
  return { orderId, userId: request.userId, items, totalCents, acceptedAt };
}
