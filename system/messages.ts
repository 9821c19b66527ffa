import { z } from 'zod';

/**
 * Message payloads that travel between the services, and their ids. Ids are derived from the
 * order id, so every retry or redelivery of the same logical message carries the same id and
 * consumers can recognise what they already processed.
 */

export const orderItemSchema = z.object({
  productId: z.string().min(1).max(128),
  quantity: z.number().int().positive().max(10_000),
  priceCents: z.number().int().min(0),
});

export const orderCreatedSchema = z.object({
  orderId: z.string().min(1),
  userId: z.string().min(1),
  items: z.array(orderItemSchema).min(1),
  totalCents: z.number().int().min(0),
  acceptedAt: z.number(),
});
export type OrderCreated = z.infer<typeof orderCreatedSchema>;
export type OrderItem = z.infer<typeof orderItemSchema>;

export const paymentRequestSchema = z.object({
  orderId: z.string().min(1),
  userId: z.string().min(1),
  amountCents: z.number().int().min(0),
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
}

export const messageIds = {
  orderCreated: (orderId: string) => `order.created:${orderId}`,
  paymentProcess: (orderId: string) => `payment.process:${orderId}`,
  orderStatus: (orderId: string, type: OrderStatusUpdate['type']) => `${type}:${orderId}`,
  notification: (orderId: string, type: Notification['type']) => `notification.${type}:${orderId}`,
};
