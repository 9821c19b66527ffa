import type { DeclaredTopology } from '../../harness/target/target.ts';
import { DEFAULT_PREFETCH } from '../config.ts';
import {
  BEST_EFFORT_QUEUES,
  BOUNDED_QUEUES,
  QUEUES,
  RETRY_DELAYS_MS,
  retryQueue,
  retryTarget,
  routesTo,
  WORK_QUEUES,
  type QueueName,
} from '../amqp/topology.ts';

/** The reference system's topology as the harness's checkers see it (system/amqp/topology.ts is what the system declares on the broker). */
export const REFERENCE_TOPOLOGY: DeclaredTopology = {
  workQueues: WORK_QUEUES,
  bestEffortQueues: BEST_EFFORT_QUEUES,
  boundedQueues: BOUNDED_QUEUES as Readonly<Record<string, number>>,
  deadLetterQueue: QUEUES.deadLetter,
  retryQueues: (workQueue) =>
    WORK_QUEUES.includes(workQueue as QueueName) ? RETRY_DELAYS_MS.map((_, k) => retryQueue(workQueue as QueueName, k + 1)) : [],
  retryTarget,
  routesTo,
  maxRetries: RETRY_DELAYS_MS.length,
  // The orders worker writes these once an order's status becomes final (system/workers/orders-worker.ts).
  terminalEffects: { completed: ['order-completed'], failed: ['order-failed'] },
  // system/messages.ts: a poison order's payment fails every attempt and is rejected after the retries;
  // a flash order's payment expires at its deadline.
  intentDeaths: {
    poison: { queue: QUEUES.paymentProcess, reason: 'rejected', retries: RETRY_DELAYS_MS.length },
    expire: { queue: QUEUES.paymentProcess, reason: 'expired', retries: 0 },
  },
  // Mirrors system/main.ts: which worker role consumes which queues.
  queuesByRole: {
    orders: [QUEUES.orderCreated, QUEUES.orderStatus],
    payments: [QUEUES.paymentProcess],
    inventory: [QUEUES.inventoryUpdate],
    notifications: [QUEUES.notificationSend],
    'dead-letter': [QUEUES.deadLetter],
  },
  defaultPrefetch: DEFAULT_PREFETCH,
};
