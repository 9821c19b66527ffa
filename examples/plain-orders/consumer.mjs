// The order processor: takes orders off the queue and records each processed id in
// DATA_DIR/processed.log. A plain amqplib consumer; it knows nothing of the harness testing it.
//
// The record is appended and fsynced BEFORE the ack, so an acked order is on disk; a crash between
// the two brings the message back, and the recording is idempotent (ids already on disk are acked
// without a second line): each order appears once. Manual acks, a prefetch window, heartbeats and
// reconnection with backoff. FLAW=fire-and-forget, as the article writes it: prefetch(1), so orders
// queue up behind the one being processed, and no reconnect once the connection is gone (the
// article re-connects on 'error' only and never consumes again).
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';

const QUEUE = 'plain-orders';
const PREFETCH = 50;
/** Each order takes this long to process (think: a payment gateway call); up to PREFETCH at once. */
const PROCESSING_MS = 20;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 2_000;
const HEARTBEAT_SECONDS = 5;

const url = requireEnv('AMQP_CONSUME_URL');
const dataDir = requireEnv('DATA_DIR');
const fireAndForget = process.env.FLAW === 'fire-and-forget';

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`consumer: ${name}: expected it in the environment`);
    process.exit(1);
  }
  return value;
}

const log = (message) => console.error(`consumer: ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processed ids on disk. A line a kill tore in half (no newline yet) was never acked: cut it off. */
function openRecord() {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'processed.log');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const whole = text.slice(0, text.lastIndexOf('\n') + 1);
  const fd = openSync(path, 'a');
  if (whole.length < text.length) ftruncateSync(fd, Buffer.byteLength(whole));
  const seen = new Set(whole.split('\n').filter(Boolean));
  return {
    /** Returns false when the id was already recorded (a redelivery). */
    record(id) {
      if (seen.has(id)) return false;
      writeSync(fd, `${id}\n`);
      fsyncSync(fd);
      seen.add(id);
      return true;
    },
    close: () => closeSync(fd),
  };
}

const record = openRecord();
let announcedReady = false;

async function consume() {
  const connection = await amqp.connect(url, fireAndForget ? {} : { heartbeat: HEARTBEAT_SECONDS });
  connection.on('error', (err) => log(`connection error: ${err.message}`));
  try {
    await subscribe(connection);
  } catch (err) {
    connection.close().catch(() => {});
    throw err;
  }
  // Only a connection that got as far as consuming reconnects on close; a failed attempt is retried by the caller.
  connection.on('close', () => {
    log('connection closed');
    if (!fireAndForget) void consumeWithBackoff();
  });
  log('consuming');
  if (!announcedReady) {
    announcedReady = true;
    console.log(JSON.stringify({ ready: true }));
  }
}

async function subscribe(connection) {
  const channel = await connection.createChannel();
  channel.on('error', (err) => log(`channel error: ${err.message}`));
  channel.on('close', () => connection.close().catch(() => {}));
  await channel.assertQueue(QUEUE, { durable: true });
  // The article's one channel with prefetch(1): orders are processed one at a time, and a backlog builds.
  await channel.prefetch(fireAndForget ? 1 : PREFETCH);
  await channel.consume(
    QUEUE,
    async (msg) => {
      // null: the broker cancelled the consumer (queue deleted): start over.
      if (msg === null) return void channel.close().catch(() => {});
      const id = idOf(msg);
      if (id === undefined) {
        log(`dropping a message without an id: ${msg.content.toString('utf8').slice(0, 100)}`);
        return void channel.nack(msg, false, false);
      }
      await sleep(PROCESSING_MS);
      record.record(id);
      try {
        channel.ack(msg);
      } catch (err) {
        // The channel died after the record: the broker redelivers, and the record ignores the repeat.
        log(`ack of ${id} failed: ${err.message}`);
      }
    },
    { noAck: false },
  );
}

function idOf(msg) {
  try {
    const id = JSON.parse(msg.content.toString('utf8'))?.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

async function consumeWithBackoff() {
  for (let delay = RECONNECT_MIN_MS; ; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
    try {
      await consume();
      return;
    } catch (err) {
      log(`connect failed (${err.message}); again in ${delay} ms`);
      await sleep(delay);
    }
  }
}

if (fireAndForget) await consume();
else await consumeWithBackoff();
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    record.close();
    process.exit(0);
  });
}
