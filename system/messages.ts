import { z } from 'zod';
import { idSchema, itemsSchema, MAX_ORDER_ITEMS, priceCentsSchema, quantitySchema, totalCentsSchema } from './order-bounds.ts';

/**
 * Message payloads that travel between the services, and their ids. Ids are derived from the
 * order id, so every retry or redelivery of the same logical message carries the same id and
 * consumers can recognise what they already processed.
 */

// Bounds come from order-bounds.ts, which the API's request schema is built from too: whatever the
// API accepted, these accept.
export const orderItemSchema = z.object({
  productId: idSchema,
  quantity: quantitySchema,
  priceCents: priceCentsSchema,
});

export const orderCreatedSchema = z.object({
  orderId: idSchema,
  userId: idSchema,
  items: itemsSchema(orderItemSchema),
  totalCents: totalCentsSchema,
  acceptedAt: z.number(),
});
export type OrderCreated = z.infer<typeof orderCreatedSchema>;
export type OrderItem = z.infer<typeof orderItemSchema>;

export const paymentRequestSchema = z.object({
  orderId: idSchema,
  userId: idSchema,
  amountCents: totalCentsSchema,
  /** What the charge is for (the gateway gets the line items). */
  productIds: z.array(z.string()).max(MAX_ORDER_ITEMS).optional(),
  /** Epoch ms after which the charge must not be taken (flash-sale items); the message expires then too. */
  expiresAt: z.number().optional(),
});
export type PaymentRequest = z.infer<typeof paymentRequestSchema>;

export const ORDER_STATUS_TYPES = ['payment.succeeded', 'inventory.reserved', 'inventory.failed'] as const;
export const orderStatusSchema = z.object({
  orderId: z.string().min(1),
  type: z.enum(ORDER_STATUS_TYPES),
  reason: z.string().optional(),
});
export type OrderStatusUpdate = z.infer<typeof orderStatusSchema>;

export const NOTIFICATION_TYPES = ['payment_succeeded', 'inventory_reserved', 'inventory_failed'] as const;
export const notificationSchema = z.object({
  orderId: z.string().min(1),
  type: z.enum(NOTIFICATION_TYPES),
});
export type Notification = z.infer<typeof notificationSchema>;

/** A message a process wants the broker to take, with the id that makes it idempotent downstream. */
export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  messageId: string;
  orderId: string;
  body: unknown;
  /** Bytes to send as they are instead of `body` as JSON (a retry copy of a delivery). */
  content?: Buffer;
  /** Extra headers (a retry copy keeps the delivery's, x-death included). */
  headers?: Record<string, unknown>;
  /** Per-message TTL in ms: the broker dead-letters the message (`expired`) if nobody took it by then. */
  expirationMs?: number;
}

/**
 * Markers the workload can put in an order (load/order-body.ts draws orders carrying them; a unit
 * test keeps the two sides in step). The reference system treats them as real product rules:
 * - `poison-*`: the payment gateway fails every charge that includes one, with an error that looks
 *   transient; payments retries it with backoff, then gives up and dead-letters it;
 * - `flash-*`: a flash-sale item whose price holds for FLASH_PAYMENT_DEADLINE_MS only; the payment
 *   must be taken by then or not at all, and its message expires at that deadline.
 */
export const POISON_PRODUCT_PREFIX = 'poison-';
export const FLASH_PRODUCT_PREFIX = 'flash-';
/** Shorter than the reference payment gateway call (100 ms): a flash order's payment always expires. */
export const FLASH_PAYMENT_DEADLINE_MS = 50;

export const messageIds = {
  orderCreated: (orderId: string) => `order.created:${orderId}`,
  paymentProcess: (orderId: string) => `payment.process:${orderId}`,
  orderAudit: (orderId: string) => `order.audit:${orderId}`,
  orderStatus: (orderId: string, type: OrderStatusUpdate['type']) => `${type}:${orderId}`,
  notification: (orderId: string, type: Notification['type']) => `notification.${type}:${orderId}`,
};
