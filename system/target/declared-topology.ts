import type { DeclaredTopology } from '../../harness/target/target.ts';
import { BEST_EFFORT_QUEUES, BOUNDED_QUEUES, QUEUES, RETRY_DELAYS_MS, retryQueue, retryTarget, routesTo, WORK_QUEUES, type QueueName } from '../amqp/topology.ts';

/** The reference system's topology as the harness's checkers see it (system/amqp/topology.ts is what the system declares on the broker). */
export const REFERENCE_TOPOLOGY: DeclaredTopology = {
  workQueues: WORK_QUEUES,
  bestEffortQueues: BEST_EFFORT_QUEUES,
  boundedQueues: BOUNDED_QUEUES as Readonly<Record<string, number>>,
  deadLetterQueue: QUEUES.deadLetter,
  retryQueues: (workQueue) => (WORK_QUEUES.includes(workQueue as QueueName) ? RETRY_DELAYS_MS.map((_, k) => retryQueue(workQueue as QueueName, k + 1)) : []),
  retryTarget,
  routesTo,
  maxRetries: RETRY_DELAYS_MS.length,
};
