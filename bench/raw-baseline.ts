import amqp, { type ConfirmChannel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import type { BaselineResult, BaselineRoute } from './bench-result.ts';
import { messagesPerSecond } from './broker-rates.ts';
import { rawOrderCreatedBody } from './raw-body.ts';

/** Distinct bodies cycled through, built before the clock starts so the publisher spends its CPU on AMQP. */
const BODY_RING = 1_024;
const CONNECT_TIMEOUT_MS = 10_000;
/** Untimed publishing first, so the first route measured does not also pay for the broker warming up. */
const WARMUP_SECONDS = 1;

export class RawBaselineError extends Error {
  override readonly name = 'RawBaselineError';
}

export interface RawBaselineOptions {
  url: string;
  route: BaselineRoute;
  seconds: number;
  /** Outstanding confirms allowed on the one ConfirmChannel. */
  window: number;
  signal: AbortSignal;
}

/**
 * Raw amqplib publishing with the system's durability settings: persistent messages, publisher
 * confirms, a durable classic queue of our own with no consumers. Keeps `window` publishes
 * unconfirmed for `seconds`, then waits for the rest. The queue is deleted afterwards.
 */
export async function runRawBaseline(options: RawBaselineOptions): Promise<BaselineResult> {
  const bodies = Array.from({ length: BODY_RING }, (_, i) => rawOrderCreatedBody(i));
  const queue = `bench.raw.${options.route}.${randomBytes(4).toString('hex')}`;
  const model = await amqp.connect(options.url, { timeout: CONNECT_TIMEOUT_MS });
  model.on('error', () => {});
  try {
    const channel = await model.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    try {
      await publishFor(channel, queue, bodies, { ...options, seconds: WARMUP_SECONDS });
      await channel.purgeQueue(queue);
      const { confirmed, nacked, seconds, interrupted } = await publishFor(channel, queue, bodies, options);
      return {
        route: options.route,
        queue,
        seconds,
        confirmed,
        nacked,
        ratePerSecond: messagesPerSecond(confirmed, seconds),
        window: options.window,
        bodyBytes: Math.round(bodies.reduce((n, b) => n + b.length, 0) / bodies.length),
        interrupted,
      };
    } finally {
      await channel.deleteQueue(queue).catch(() => {});
      await channel.close().catch(() => {});
    }
  } finally {
    await model.close().catch(() => {});
  }
}

function publishFor(
  channel: ConfirmChannel,
  queue: string,
  bodies: Buffer[],
  options: RawBaselineOptions,
): Promise<{ confirmed: number; nacked: number; seconds: number; interrupted: boolean }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const deadline = start + options.seconds * 1000;
    let sent = 0;
    let outstanding = 0;
    let confirmed = 0;
    let nacked = 0;
    let publishing = true;
    let waitingForDrain = false;
    let settled = false;
    const finishIfDone = () => {
      if (publishing || outstanding > 0 || settled) return;
      settled = true;
      channel.off('close', onClose);
      resolve({ confirmed, nacked, seconds: (performance.now() - start) / 1000, interrupted: options.signal.aborted });
    };
    const onClose = () => {
      if (settled) return;
      settled = true;
      reject(new RawBaselineError(`channel closed with ${outstanding} confirms outstanding after ${confirmed} confirmed`));
    };
    channel.on('close', onClose);
    const onConfirm = (err: unknown) => {
      outstanding--;
      if (err) nacked++;
      else confirmed++;
      pump();
    };
    const pump = () => {
      while (publishing && !waitingForDrain && outstanding < options.window) {
        if (performance.now() >= deadline || options.signal.aborted) {
          publishing = false;
          break;
        }
        const i = sent++;
        outstanding++;
        const flowing = channel.publish(
          '',
          queue,
          bodies[i % bodies.length]!,
          { persistent: true, messageId: `raw-${i}`, contentType: 'application/json', headers: { 'x-order-id': `bench-raw-${i}` } },
          onConfirm,
        );
        if (!flowing) {
          waitingForDrain = true;
          channel.once('drain', () => {
            waitingForDrain = false;
            pump();
          });
        }
      }
      finishIfDone();
    };
    pump();
  });
}

/** The broker's product version and Erlang platform, as it announces them on connect. */
export async function brokerIdentity(url: string): Promise<{ product: string; version: string; platform: string }> {
  const model = await amqp.connect(url, { timeout: CONNECT_TIMEOUT_MS });
  try {
    const p = model.connection.serverProperties;
    return { product: p.product, version: p.version, platform: p.platform };
  } finally {
    await model.close().catch(() => {});
  }
}
