import { z } from 'zod';

/**
 * The limits of one order. The API's request schema (api/order-request.ts) and the workers'
 * message schemas (messages.ts) are both built from these constants and schema pieces, so the API
 * can never answer 202 to an order that a worker would then dead-letter as poison.
 */
export const MAX_ORDER_ITEMS = 100;
export const MAX_ITEM_QUANTITY = 10_000;
/** 1,000,000.00 per unit. */
export const MAX_PRICE_CENTS = 100_000_000;
/** 10,000,000.00 per order: above any real basket, far below the largest exactly representable number of cents. */
export const MAX_ORDER_TOTAL_CENTS = 1_000_000_000;
/** Order, user and product ids. */
export const MAX_ID_LENGTH = 128;
/** Client-chosen order ids: safe in a URL path, a message id and a log line without escaping. */
export const ORDER_ID_PATTERN = new RegExp(`^[A-Za-z0-9._:-]{1,${MAX_ID_LENGTH}}$`);
export const ORDER_ID_EXPECTED = `1-${MAX_ID_LENGTH} characters of A-Z a-z 0-9 . _ : -`;

// Every bounded order sums exactly: no line or total can leave the safe integer range before the
// total bound is checked.
if (MAX_ORDER_ITEMS * MAX_ITEM_QUANTITY * MAX_PRICE_CENTS > Number.MAX_SAFE_INTEGER)
  throw new Error('order bounds allow totals beyond Number.MAX_SAFE_INTEGER cents');

/** 123456 -> "1234.56": bounds are named in the units the client writes. */
export function formatCents(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** A price with at most 2 decimals, as the API receives it, in integer cents. */
export function priceToCents(price: number): number {
  return Math.round(price * 100);
}

/** The one way an order's total is computed (the API's bound check and the message it publishes). */
export function orderTotalCents(items: readonly { quantity: number; priceCents: number }[]): number {
  return items.reduce((sum, i) => sum + i.priceCents * i.quantity, 0);
}

export const idSchema = z.string().min(1, 'expected a non-empty string').max(MAX_ID_LENGTH, `expected at most ${MAX_ID_LENGTH} characters`);

export const quantitySchema = z
  .number()
  .int('expected an integer')
  .positive('expected an integer > 0')
  .max(MAX_ITEM_QUANTITY, `expected at most ${MAX_ITEM_QUANTITY}`);

export const priceCentsSchema = z
  .number()
  .int('expected integer cents')
  .min(0, 'expected cents >= 0')
  .max(MAX_PRICE_CENTS, `expected at most ${MAX_PRICE_CENTS} cents (${formatCents(MAX_PRICE_CENTS)})`);

export const totalCentsSchema = z
  .number()
  .int('expected integer cents')
  .min(0, 'expected cents >= 0')
  .max(MAX_ORDER_TOTAL_CENTS, `expected at most ${MAX_ORDER_TOTAL_CENTS} cents (${formatCents(MAX_ORDER_TOTAL_CENTS)})`);

/** What the API accepts as a price: the same bound as priceCentsSchema, in the client's units. */
export const priceSchema = z
  .number()
  .min(0, 'expected a price >= 0')
  .max(MAX_PRICE_CENTS / 100, `expected a price of at most ${formatCents(MAX_PRICE_CENTS)}`)
  .refine((p) => Math.abs(p * 100 - priceToCents(p)) < 1e-6, 'expected a price with at most 2 decimal places');

export function itemsSchema<T extends z.ZodType>(item: T) {
  return z.array(item).min(1, 'expected at least 1 item').max(MAX_ORDER_ITEMS, `expected at most ${MAX_ORDER_ITEMS} items`);
}
