import { describe, expect, it } from 'vitest';
import {
  MAX_ATTEMPTS,
  QUEUES,
  RETRY_DELAYS_MS,
  retryQueue,
  retryTarget,
  routesTo,
  topicMatches,
  WORK_QUEUES,
} from '../../../system/amqp/topology.ts';

describe('topology routing', () => {
  it('routes order.created to the orders queue and to inventory, and nowhere else', () => {
    expect(routesTo('orders', 'order.created').sort()).toEqual(['inventory.update', 'order.created']);
  });

  it('routes payment and inventory outcomes to the order status queue only (no loop back into order.created)', () => {
    expect(routesTo('orders', 'payment.succeeded')).toEqual(['order.status']);
    expect(routesTo('orders', 'inventory.failed')).toEqual(['order.status']);
  });

  it('routes the fanout whatever the key, and direct exchanges by exact key', () => {
    expect(routesTo('notifications', '')).toEqual(['notification.send']);
    expect(routesTo('notifications', 'anything')).toEqual(['notification.send']);
    expect(routesTo('payments', 'process')).toEqual(['payment.process']);
    expect(routesTo('payments', 'proc')).toEqual([]);
    expect(routesTo('dlx', 'dead-letter')).toEqual(['dead_letter_queue']);
    expect(routesTo('nope', 'x')).toEqual([]);
  });

  it('routes audit entries to the bounded audit feed only', () => {
    expect(routesTo('orders', 'order.audited')).toEqual(['order.audit']);
  });

  it('routes through the default exchange by queue name, and a delay queue to the work queue it feeds back into', () => {
    expect(routesTo('', 'payment.process')).toEqual(['payment.process']);
    expect(routesTo('', 'payment.process.retry.2')).toEqual(['payment.process']);
    expect(routesTo('', 'payment.process.retry.9')).toEqual([]);
    expect(routesTo('', 'nope')).toEqual([]);
  });

  it('gives every work queue one delay queue per retry, with growing delays', () => {
    expect(MAX_ATTEMPTS).toBe(RETRY_DELAYS_MS.length + 1);
    expect([...RETRY_DELAYS_MS].sort((a, b) => a - b)).toEqual(RETRY_DELAYS_MS);
    for (const queue of WORK_QUEUES) {
      for (let level = 1; level <= RETRY_DELAYS_MS.length; level++) expect(retryTarget(retryQueue(queue, level))).toBe(queue);
    }
    expect(retryTarget(QUEUES.deadLetter)).toBeUndefined();
  });

  it('matches topic patterns like RabbitMQ: * is one word, # is zero or more', () => {
    const m = (p: string, k: string) => topicMatches(p.split('.'), k.split('.'));
    expect(m('payment.*', 'payment.succeeded')).toBe(true);
    expect(m('payment.*', 'payment.succeeded.late')).toBe(false);
    expect(m('payment.#', 'payment')).toBe(true);
    expect(m('#', 'a.b.c')).toBe(true);
    expect(m('*.updated', 'user.updated')).toBe(true);
    expect(m('a.#.z', 'a.b.c.z')).toBe(true);
    expect(m('a.#.z', 'a.b.c')).toBe(false);
  });
});
