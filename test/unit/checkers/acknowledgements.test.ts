import { describe, expect, it } from 'vitest';
import { acknowledgementsChecker } from '../../../harness/checkers/acknowledgements.ts';
import type { CheckResult, RunRecord } from '../../../harness/checkers/checker.ts';
import { ConsumerHistory, runRecord } from './consumer-history.ts';

const Q = 'payment.process';

async function check(h: ConsumerHistory, extra: Partial<RunRecord> = {}, options = {}): Promise<CheckResult> {
  return acknowledgementsChecker(options).check(runRecord(h.events, extra));
}

function violation(
  result: CheckResult,
  kind: string,
): { count: number; examples: { id: string; consumer: string; queue: string; note?: string }[] } | undefined {
  return (
    result.violations as Record<string, { count: number; examples: { id: string; consumer: string; queue: string; note?: string }[] }>
  )[kind];
}

describe('acknowledgements checker', () => {
  it('passes when every delivery is settled once and acked after its effect, counting each settle kind', async () => {
    const h = new ConsumerHistory();
    h.publish('orders-1', 'm1', 'payments', 'process', 'ok')
      .publish('orders-1', 'm2', 'payments', 'process', 'ok')
      .publish('orders-1', 'm3', 'payments', 'process', 'ok');
    h.consume('payments-1', 'm1', Q);
    const first = h.deliver('payments-2', 'm2', Q);
    h.settle('nack', first, true);
    h.consume('payments-1', 'm2', Q, { redelivered: true });
    const poison = h.deliver('payments-2', 'm3', Q);
    h.settle('reject', poison, false);
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(result.mode).toBe('manual');
    expect(result.counts).toMatchObject({ deliveries: 4, redelivered: 1, acked: 2, nacked: 1, rejected: 1, abandoned: 0 });
    expect(result.table).toMatchObject({ columns: expect.arrayContaining(['queue', 'consumer', 'acked']) });
  });

  it(
    'accepts an ack after a retry (the copy for the next attempt is confirmed in a delay queue), ' + 'and counts the copy as published',
    async () => {
      const h = new ConsumerHistory();
      h.publish('orders-1', 'm1', 'payments', 'process', 'ok');
      const first = h.deliver('payments-1', 'm1', Q);
      h.publish('payments-1', 'm1', '', 'payment.process.retry.1', 'ok');
      h.add('payments-1', {
        kind: 'retry',
        id: 'm1',
        queue: Q,
        consumer: 'payments-1',
        deliveryTag: first.deliveryTag,
        channel: first.channel,
        attempt: 1,
        delayMs: 500,
        reason: 'gateway error',
      });
      h.ack(first);
      // The copy comes back from the delay queue as a new message: redelivered=false is right.
      h.consume('payments-2', 'm1', Q);
      const result = await check(h);
      expect(result.valid).toBe(true);
      expect(result.counts).toMatchObject({ deliveries: 2, acked: 2 });
    },
  );

  it('fails on an ack with no committed effect before it', async () => {
    const h = new ConsumerHistory();
    const d = h.deliver('payments-1', 'm1', Q);
    h.ack(d).handled(d);
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'ack-before-handled')).toMatchObject({ count: 1, examples: [{ id: 'm1', consumer: 'payments-1', queue: Q }] });
  });

  it('does not accept a handled event from an earlier delivery of the same message as this ack’s effect', async () => {
    const h = new ConsumerHistory();
    const first = h.deliver('payments-1', 'm1', Q);
    h.handled(first).disconnected('payments-1');
    const again = h.deliver('payments-1', 'm1', Q, { redelivered: true });
    h.ack(again);
    const result = await check(h);
    expect(violation(result, 'ack-before-handled')?.count).toBe(1);
  });

  it('fails on a delivery acked twice', async () => {
    const h = new ConsumerHistory();
    const d = h.consume('payments-1', 'm1', Q);
    h.ack(d);
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'settled-twice')?.count).toBe(1);
  });

  it(
    'fails on a settle naming a tag that is not open on the current connection ' + '(stale after a reconnect, or never delivered)',
    async () => {
      const h = new ConsumerHistory();
      const d = h.deliver('payments-1', 'm1', Q);
      h.handled(d).disconnected('payments-1');
      h.ack(d); // the old channel is gone: this tag now means nothing, or someone else's message
      h.consume('payments-2', 'm1', Q, { redelivered: true });
      h.ack({ proc: 'payments-2', id: 'm9', queue: Q, channel: 1, deliveryTag: 42 });
      const result = await check(h);
      expect(result.valid).toBe(false);
      expect(violation(result, 'stray-settle')?.count).toBe(2);
    },
  );

  it('fails when a second delivery of a message published once arrives with redelivered=false', async () => {
    const h = new ConsumerHistory();
    h.publish('orders-1', 'm1', 'payments', 'process', 'ok');
    const d = h.deliver('payments-1', 'm1', Q);
    h.handled(d).disconnected('payments-1');
    h.consume('payments-2', 'm1', Q, { redelivered: false });
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'redelivered-flag-missing')).toMatchObject({ count: 1, examples: [{ id: 'm1', consumer: 'payments-2' }] });
  });

  it('allows two first deliveries when the publish was retried after an in-doubt outcome (two copies)', async () => {
    const h = new ConsumerHistory();
    h.publish('orders-1', 'm1', 'payments', 'process', 'info').publish('orders-1', 'm1', 'payments', 'process', 'ok');
    h.consume('payments-1', 'm1', Q);
    h.consume('payments-2', 'm1', Q);
    const result = await check(h);
    expect(result.valid).toBe(true);
  });

  it('does not count a failed publish attempt as a copy', async () => {
    const h = new ConsumerHistory();
    h.publish('orders-1', 'm1', 'payments', 'process', 'fail').publish('orders-1', 'm1', 'payments', 'process', 'ok');
    h.consume('payments-1', 'm1', Q);
    h.consume('payments-2', 'm1', Q);
    const result = await check(h);
    expect(violation(result, 'redelivered-flag-missing')?.count).toBe(1);
  });

  it('accepts a delivery abandoned by a dead connection when the message is redelivered', async () => {
    const h = new ConsumerHistory();
    h.publish('orders-1', 'm1', 'payments', 'process', 'ok');
    const d = h.deliver('payments-1', 'm1', Q);
    h.handled(d).disconnected('payments-1');
    h.consume('payments-1', 'm1', Q, { redelivered: true });
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(result.counts).toMatchObject({ deliveries: 2, abandoned: 1, abandonedRecovered: 1 });
  });

  it('fails when a delivery abandoned by a dead connection never comes back', async () => {
    const h = new ConsumerHistory();
    const d = h.deliver('payments-1', 'm1', Q);
    h.handled(d).disconnected('payments-1');
    h.at(60_000).tick('payments-2');
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'abandoned-not-redelivered')?.examples[0]?.note).toMatch(
      /disconnected .*handled \(effect committed\) but never acked/,
    );
  });

  it('fails when a killed consumer’s unsettled delivery is never redelivered, but allows what is in flight at the very end', async () => {
    const h = new ConsumerHistory();
    h.deliver('payments-1', 'm1', Q); // payments-1 is SIGKILLed here: its history just stops
    h.at(60_000).consume('payments-2', 'm2', Q);
    h.deliver('payments-2', 'm3', Q); // still being processed when the checker reads the history
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'abandoned-not-redelivered')).toMatchObject({ count: 1, examples: [{ id: 'm1', consumer: 'payments-1' }] });
    expect(result.counts).toMatchObject({ inFlightAtEnd: 1 });
  });

  it('accepts an abandoned delivery whose message was handled by another consumer or dead-lettered', async () => {
    const h = new ConsumerHistory();
    h.deliver('payments-1', 'm1', Q);
    h.deliver('payments-1', 'm2', Q);
    h.disconnected('payments-1');
    h.handled({ proc: 'payments-2', id: 'm1', queue: Q });
    h.deadLettered('m2', Q);
    h.at(60_000).tick('payments-2');
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(result.counts).toMatchObject({ abandoned: 2, abandonedRecovered: 2 });
  });

  it('accepts an unconfirmed message the broker forgot when it crashed, but not a confirmed one nor one lost without a crash', async () => {
    const crashed = (outcome: 'ok' | 'info', fault?: string) => {
      const h = new ConsumerHistory();
      h.publish('orders-1', 'm1', 'payments', 'process', outcome);
      h.deliver('payments-1', 'm1', Q); // delivered before the broker wrote it to disk
      if (fault) h.add('harness', { kind: 'fault', name: fault, phase: 'start' });
      h.disconnected('payments-1');
      return h.at(60_000).tick('payments-2');
    };
    const unconfirmed = await check(crashed('info', 'broker-kill'));
    expect(unconfirmed.valid).toBe(true);
    expect(unconfirmed.counts).toMatchObject({ abandoned: 1, abandonedUnconfirmed: 1 });
    expect(unconfirmed.summary).toMatch(/1 never confirmed and gone with the crashed broker/);

    expect(violation(await check(crashed('ok', 'broker-kill')), 'abandoned-not-redelivered')?.count).toBe(1);
    expect(violation(await check(crashed('info')), 'abandoned-not-redelivered')?.count).toBe(1);
    expect(violation(await check(crashed('info', 'connection-cut')), 'abandoned-not-redelivered')?.count).toBe(1);
    // A graceful restart is no crash: a clean stop loses nothing it delivered, so the exception does not cover it.
    expect(violation(await check(crashed('info', 'broker-restart')), 'abandoned-not-redelivered')?.count).toBe(1);
  });

  it('knows a crash by the traits the fault wrote to the history, whatever its name', async () => {
    const withTraits = (traits: string[]) => {
      const h = new ConsumerHistory();
      h.publish('orders-1', 'm1', 'payments', 'process', 'info');
      h.deliver('payments-1', 'm1', Q);
      h.add('harness', { kind: 'fault', name: 'power-cut', phase: 'start', traits } as never);
      h.disconnected('payments-1');
      return h.at(60_000).tick('payments-2');
    };
    expect((await check(withTraits(['crashes-broker', 'cuts-connections']))).counts).toMatchObject({ abandonedUnconfirmed: 1 });
    expect(violation(await check(withTraits(['stops-broker'])), 'abandoned-not-redelivered')?.count).toBe(1);
  });

  it('fails a dead-letter auditor that acks a dead letter before recording it (acks are checked where dead letters flow)', async () => {
    const h = new ConsumerHistory();
    const d = h.deliver('dead-letter-1', 'bad1', 'dead_letter_queue');
    h.ack(d);
    h.deadLettered('bad1', Q).handled(d, true, 'dead-letter-recorded');
    const result = await check(h.at(60_000).tick('dead-letter-1'));
    expect(result.valid).toBe(false);
    expect(violation(result, 'ack-before-handled')?.examples[0]).toMatchObject({ id: 'bad1', queue: 'dead_letter_queue' });
  });

  it(
    'counts a broker crash whose start event came just before the delivery (the signal lands a few ms later), ' +
      'but not one already healed',
    async () => {
      const crashFirst = (healedBeforeDelivery: boolean) => {
        const h = new ConsumerHistory();
        h.publish('orders-1', 'm1', 'payments', 'process', 'info');
        h.add('harness', { kind: 'fault', name: 'broker-kill', phase: 'start' });
        if (healedBeforeDelivery) h.add('harness', { kind: 'fault', name: 'broker-kill', phase: 'stop' });
        h.deliver('payments-1', 'm1', Q);
        h.disconnected('payments-1');
        if (!healedBeforeDelivery) h.add('harness', { kind: 'fault', name: 'broker-kill', phase: 'stop' });
        return h.at(60_000).tick('payments-2');
      };
      expect((await check(crashFirst(false))).counts).toMatchObject({ abandoned: 1, abandonedUnconfirmed: 1 });
      expect(violation(await check(crashFirst(true)), 'abandoned-not-redelivered')?.count).toBe(1);
    },
  );

  it('is unknown when nothing was delivered', async () => {
    const result = await check(new ConsumerHistory().order('o1', 'ok'));
    expect(result.valid).toBe('unknown');
  });

  describe('when the consumers say they consume with automatic acknowledgement', () => {
    const auto = { autoAck: true };

    it('says acknowledgements are automatic and passes when every delivery was handled', async () => {
      const h = new ConsumerHistory();
      const d = h.deliver('payments-1', 'm1', Q, auto);
      h.handled(d);
      const result = await check(h);
      expect(result.valid).toBe(true);
      expect(result.mode).toBe('automatic');
      expect(result.summary).toMatch(/automatic/);
    });

    it('fails on a delivery never handled: the message was lost to auto-ack', async () => {
      const h = new ConsumerHistory();
      h.deliver('payments-1', 'm1', Q, auto); // the process died while "processing"; the broker had already forgotten it
      h.at(60_000).handled(h.deliver('payments-2', 'm2', Q, auto));
      const result = await check(h);
      expect(result.valid).toBe(false);
      expect(violation(result, 'lost-to-auto-ack')).toMatchObject({ count: 1, examples: [{ id: 'm1', consumer: 'payments-1' }] });
    });

    it('fails on an explicit ack on an auto-ack channel', async () => {
      const h = new ConsumerHistory();
      const d = h.deliver('payments-1', 'm1', Q, auto);
      h.handled(d).ack(d);
      const result = await check(h);
      expect(violation(result, 'settled-in-auto-ack-mode')?.count).toBe(1);
    });

    it('judges the history, not the planted flaw: a run said to have auto-ack whose deliveries are manual gets manual rules', async () => {
      const h = new ConsumerHistory();
      const d = h.deliver('payments-1', 'm1', Q);
      h.handled(d).ack(d);
      const result = await check(h, { system: { flaws: ['auto-ack'] } });
      expect(result.mode).toBe('manual');
      expect(result.valid).toBe(true);
    });
  });
});
