import { parseMessage, type QueueHandler } from '../amqp/consumer.ts';
import { QUEUES } from '../amqp/topology.ts';
import { notificationSchema } from '../messages.ts';
import type { NotificationsStore } from '../stores/notifications-store.ts';

/** Notifications service: "sends" (records) each event's notification once. */
export function notificationsHandlers(store: NotificationsStore): QueueHandler[] {
  return [
    {
      queue: QUEUES.notificationSend,
      async handle(delivery) {
        const notification = parseMessage(delivery, notificationSchema);
        const applied = store.sendOnce(delivery.id, notification);
        return { orderId: notification.orderId, effect: 'notification-sent', applied, publish: [] };
      },
    },
  ];
}
