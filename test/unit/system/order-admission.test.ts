import { afterEach, describe, expect, it } from 'vitest';
import type { PublishResult } from '../../../system/amqp/publisher.ts';
import { OrderAdmission, type Admission } from '../../../system/api/order-admission.ts';
import type { OrderCreated, OutgoingMessage } from '../../../system/messages.ts';
import { OrdersStore } from '../../../system/stores/orders-store.ts';
import { tempDir } from '../../support/temp-dir.ts';

// Can two requests for one order id both publish, or a second body slip through? The claim lives in
// the orders store (SQLite), so two API processes on one data directory are tested too.

/** A publisher whose confirms the test hands out. */
class FakePublisher {
  readonly published: OutgoingMessage[] = [];
  readonly #waiting: ((r: PublishResult) => void)[] = [];
  auto: PublishResult | undefined;

  publish(message: OutgoingMessage): Promise<PublishResult> {
    this.published.push(message);
    if (this.auto) return Promise.resolve(this.auto);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Answers every publish waiting now, once they have all arrived. */
  async answer(result: PublishResult, expected = 1): Promise<void> {
    for (let k = 0; k < 200 && this.#waiting.length < expected; k++) await new Promise((r) => setTimeout(r, 5));
    for (const resolve of this.#waiting.splice(0)) resolve(result);
  }
}

const dirs: { remove(): void }[] = [];
const stores: OrdersStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.db.close();
  for (const d of dirs.splice(0)) d.remove();
});

/** An API process's admission; pass the `dir` of another to share its orders store. */
function setup(instance = 'api-1', shared?: string) {
  let dir = shared;
  if (!dir) {
    const fresh = tempDir('order-admission');
    dirs.push(fresh);
    dir = fresh.path;
  }
  const store = new OrdersStore(dir);
  stores.push(store);
  const publisher = new FakePublisher();
  const admission = new OrderAdmission({ publisher, store, instance, confirmTimeoutMs: 200 });
  return { dir, store, publisher, admission };
}

const order =
  (orderId: string, userId: string) =>
  (at: number): OrderCreated => ({
    orderId,
    userId,
    items: [{ productId: 'p', quantity: 1, priceCents: 100 }],
    totalCents: 100,
    acceptedAt: at,
  });
const admit = (a: OrderAdmission, id: string, body: string) => a.admit(id, `hash-${body}`, order(id, body));
const statuses = (answers: Admission[]) => answers.map((a) => a.status).sort();

describe('order admission: one publish per order id', { timeout: 15_000 }, () => {
  it('8 concurrent requests, 8 bodies, one id: one publish, one 202, seven 409', async () => {
    const { publisher, admission, store } = setup();
    const answers = Promise.all(Array.from({ length: 8 }, (_, k) => admit(admission, 'o-1', `body-${k}`)));
    await publisher.answer({ outcome: 'ok' });
    const settled = await answers;
    expect(statuses(settled)).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    expect(publisher.published).toHaveLength(1);
    // The stored order is the one that was published.
    const winner = settled.findIndex((a) => a.status === 202);
    expect(store.find('o-1')?.userId).toBe(`body-${winner}`);
    expect((publisher.published[0]!.body as OrderCreated).userId).toBe(`body-${winner}`);
  });

  it('8 concurrent requests, one body: one publish, eight 202 (seven duplicates)', async () => {
    const { publisher, admission } = setup();
    const answers = Promise.all(Array.from({ length: 8 }, () => admit(admission, 'o-2', 'same')));
    await publisher.answer({ outcome: 'ok' });
    const settled = await answers;
    expect(statuses(settled)).toEqual(Array(8).fill(202));
    expect(settled.filter((a) => a.body.duplicate === true)).toHaveLength(7);
    expect(publisher.published).toHaveLength(1);
  });

  it('concurrent duplicates of an attempt that got no confirm share its 503, then a retry publishes again', async () => {
    const { publisher, admission, store } = setup();
    const answers = Promise.all(Array.from({ length: 3 }, () => admit(admission, 'o-3', 'same')));
    await publisher.answer({ outcome: 'info', error: 'no confirm' });
    for (const a of await answers) expect(a).toMatchObject({ status: 503, body: { outcome: 'info' } });
    expect(publisher.published).toHaveLength(1);
    expect(store.claims.get('o-3')).toMatchObject({ state: 'unconfirmed', inDoubt: true });

    // In doubt: the id stays bound to this body.
    expect((await admit(admission, 'o-3', 'other')).status).toBe(409);
    const retry = admit(admission, 'o-3', 'same');
    await publisher.answer({ outcome: 'ok' });
    expect(await retry).toMatchObject({ status: 202, body: { status: 'accepted' } });
    expect(publisher.published).toHaveLength(2);
    expect(publisher.published[1]!.messageId).toBe(publisher.published[0]!.messageId);
  });

  it('after a certain failure the retry publishes again, and the id is free for another body', async () => {
    const { publisher, admission, store } = setup();
    publisher.auto = { outcome: 'fail', error: 'not connected' };
    expect(await admit(admission, 'o-4', 'first')).toMatchObject({ status: 503, body: { outcome: 'fail' } });
    expect(store.claims.get('o-4')).toBeUndefined();
    publisher.auto = { outcome: 'ok' };
    expect((await admit(admission, 'o-4', 'second')).status).toBe(202);
    expect(publisher.published).toHaveLength(2);
    expect(store.find('o-4')?.userId).toBe('second');
  });

  it('a failure after an attempt in doubt is still in doubt (503 info, id kept)', async () => {
    const { publisher, admission, store } = setup();
    publisher.auto = { outcome: 'info' };
    await admit(admission, 'o-5', 'same');
    publisher.auto = { outcome: 'fail', error: 'not connected' };
    expect(await admit(admission, 'o-5', 'same')).toMatchObject({ status: 503, body: { outcome: 'info' } });
    expect(store.claims.get('o-5')).toMatchObject({ state: 'unconfirmed', inDoubt: true });
  });

  it('after a 202 the same body is a duplicate 202 without publishing', async () => {
    const { publisher, admission } = setup();
    publisher.auto = { outcome: 'ok' };
    expect((await admit(admission, 'o-6', 'same')).status).toBe(202);
    expect(await admit(admission, 'o-6', 'same')).toMatchObject({ status: 202, body: { duplicate: true } });
    expect((await admit(admission, 'o-6', 'other')).status).toBe(409);
    expect(publisher.published).toHaveLength(1);
  });

  it('two API processes on one store: the second waits for the first attempt and answers its outcome', async () => {
    const first = setup('api-1');
    const second = setup('api-2', first.dir);
    const a = admit(first.admission, 'o-7', 'same');
    const b = admit(second.admission, 'o-7', 'same');
    const c = admit(second.admission, 'o-7', 'other');
    expect((await c).status).toBe(409);
    await first.publisher.answer({ outcome: 'ok' });
    expect((await a).status).toBe(202);
    expect(await b).toMatchObject({ status: 202, body: { duplicate: true } });
    expect(first.publisher.published).toHaveLength(1);
    expect(second.publisher.published).toHaveLength(0);
  });

  it('takes over a claim whose publisher went silent past its lease (its process died), as in doubt', async () => {
    const { publisher, admission, store } = setup('api-1');
    expect(store.claims.claim('o-8', 'hash-same', 'api-9:1:dead', 50)).toEqual({ kind: 'claimed', inDoubt: false });
    publisher.auto = { outcome: 'fail', error: 'not connected' };
    // Waits for the lease, then publishes itself; its failure cannot free the id (the dead attempt may have published).
    expect(await admit(admission, 'o-8', 'same')).toMatchObject({ status: 503, body: { outcome: 'info' } });
    expect(publisher.published).toHaveLength(1);
    expect(store.claims.get('o-8')).toMatchObject({ state: 'unconfirmed', inDoubt: true });
  });

  it("a restarted API takes its earlier life's unfinished claims as in doubt", () => {
    const { dir, store } = setup('api-1');
    store.claims.claim('o-9', 'h', 'api-1:123:earlier', 60_000);
    store.claims.claim('o-10', 'h', 'api-2:456:alive', 60_000);
    setup('api-1', dir);
    expect(store.claims.get('o-9')).toMatchObject({ state: 'unconfirmed', inDoubt: true, owner: null });
    expect(store.claims.get('o-10')).toMatchObject({ state: 'publishing', owner: 'api-2:456:alive' });
  });
});
