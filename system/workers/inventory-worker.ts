import { parseMessage, type QueueHandler } from '../amqp/consumer.ts';
import { EXCHANGES, QUEUES, ROUTING_KEYS } from '../amqp/topology.ts';
import { messageIds, orderCreatedSchema } from '../messages.ts';
import type { InventoryStore } from '../stores/inventory-store.ts';

/** Inventory service: reserves an order's items (all or nothing, once), then reports the outcome. */
export function inventoryHandlers(store: InventoryStore): QueueHandler[] {
  return [
    {
      queue: QUEUES.inventoryUpdate,
      async handle(delivery) {
        const order = parseMessage(delivery, orderCreatedSchema);
        const { orderId } = order;
        const { applied, reservation } = store.reserveOnce(orderId, order.items);
        const status = reservation.ok ? 'inventory.reserved' : 'inventory.failed';
        const notification = reservation.ok ? 'inventory_reserved' : 'inventory_failed';
        return {
          orderId,
          effect: reservation.ok ? 'stock-reserved' : 'stock-refused',
          applied,
          publish: [
            {
              exchange: EXCHANGES.orders.name,
              routingKey: reservation.ok ? ROUTING_KEYS.inventoryReserved : ROUTING_KEYS.inventoryFailed,
              messageId: messageIds.orderStatus(orderId, status),
              orderId,
              body: { orderId, type: status, ...(reservation.reason ? { reason: reservation.reason } : {}) },
            },
            {
              exchange: EXCHANGES.notifications.name,
              routingKey: '',
              messageId: messageIds.notification(orderId, notification),
              orderId,
              body: { orderId, type: notification },
            },
          ],
        };
      },
    },
  ];
}
