// The order API: POST /orders {"id": "..."} puts the order on a durable queue.
// A plain amqplib service, as a team would write it; it knows nothing of the harness testing it.
//
// Correct configuration: a confirm channel, persistent messages, 202 only once the broker confirmed
// (the promise "we have your order" is then the broker's to keep), 503 while not connected (certainly
// not taken), 500 when the confirm never came (in doubt), and reconnection with backoff.
// FLAW=fire-and-forget is how the article writes it: a plain channel, transient messages, 202 right
// after publish() returned, and no reconnect once the connection is gone.
import http from 'node:http';
import amqp from 'amqplib';

const QUEUE = 'plain-orders';
const CONFIRM_TIMEOUT_MS = 5_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 2_000;
const HEARTBEAT_SECONDS = 5;
const MAX_BODY_BYTES = 4_096;
const MAX_ID_LENGTH = 200;

const url = requireEnv('AMQP_PUBLISH_URL');
const port = Number(requireEnv('HTTP_PORT'));
const flaw = process.env.FLAW ?? '';
if (flaw !== '' && flaw !== 'fire-and-forget') fail(`FLAW: expected "fire-and-forget" or nothing, got ${JSON.stringify(flaw)}`);
const fireAndForget = flaw === 'fire-and-forget';

let channel = null;

function requireEnv(name) {
  const value = process.env[name];
  if (!value) fail(`${name}: expected it in the environment`);
  return value;
}

function fail(message) {
  console.error(`producer: ${message}`);
  process.exit(1);
}

const log = (message) => console.log(`producer: ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function openChannel() {
  const connection = await amqp.connect(url, fireAndForget ? {} : { heartbeat: HEARTBEAT_SECONDS });
  // Without a listener an 'error' event would crash the process; 'close' follows it and says what to do.
  connection.on('error', (err) => log(`connection error: ${err.message}`));
  let ch;
  try {
    ch = fireAndForget ? await connection.createChannel() : await connection.createConfirmChannel();
    ch.on('error', (err) => log(`channel error: ${err.message}`));
    await ch.assertQueue(QUEUE, { durable: true });
  } catch (err) {
    connection.close().catch(() => {});
    throw err;
  }
  connection.on('close', () => {
    channel = null;
    log('connection closed');
    if (!fireAndForget) void connectWithBackoff();
  });
  // A channel the broker closed on its own leaves the connection up: drop both and start over.
  ch.on('close', () => {
    if (channel === ch) channel = null;
    connection.close().catch(() => {});
  });
  channel = ch;
  log('connected');
}

async function connectWithBackoff() {
  for (let delay = RECONNECT_MIN_MS; ; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
    try {
      await openChannel();
      return;
    } catch (err) {
      log(`connect failed (${err.message}); again in ${delay} ms`);
      await sleep(delay);
    }
  }
}

class NotTakenError extends Error {}

/** Resolves once the broker confirmed the message; NotTakenError when it certainly was not sent. */
function publishConfirmed(id) {
  return new Promise((resolve, reject) => {
    const ch = channel;
    if (!ch) return reject(new NotTakenError('not connected to the broker'));
    const timer = setTimeout(() => reject(new Error(`no confirm within ${CONFIRM_TIMEOUT_MS} ms`)), CONFIRM_TIMEOUT_MS);
    try {
      ch.publish(
        '',
        QUEUE,
        Buffer.from(JSON.stringify({ id })),
        { persistent: true, messageId: id, contentType: 'application/json' },
        (err) => {
          clearTimeout(timer);
          if (err) reject(new Error(`broker did not confirm: ${err.message ?? err}`));
          else resolve();
        },
      );
    } catch (err) {
      // publish() throws before writing anything when the channel is already closed.
      clearTimeout(timer);
      reject(new NotTakenError(err.message));
    }
  });
}

async function takeOrder(id, res) {
  if (fireAndForget) {
    try {
      channel.publish('', QUEUE, Buffer.from(JSON.stringify({ id })), { messageId: id, contentType: 'application/json' });
      return send(res, 202, { id, status: 'accepted' });
    } catch (err) {
      return send(res, 500, { error: err.message });
    }
  }
  try {
    await publishConfirmed(id);
    send(res, 202, { id, status: 'accepted' });
  } catch (err) {
    if (err instanceof NotTakenError) send(res, 503, { error: `order not taken: ${err.message}` }, { 'retry-after': '1' });
    else send(res, 500, { error: `order in doubt: ${err.message}` });
  }
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new Error(`body over ${MAX_BODY_BYTES} bytes`));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new Error('body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  if (req.url === '/health' && req.method === 'GET') return send(res, channel ? 200 : 503, { connected: channel !== null });
  if (req.url !== '/orders') return send(res, 404, { error: 'expected POST /orders or GET /health' });
  if (req.method !== 'POST') return send(res, 405, { error: 'expected POST /orders' }, { allow: 'POST' });
  let body;
  try {
    body = await readJson(req);
  } catch (err) {
    return send(res, 400, { error: err.message });
  }
  const id = body?.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    return send(res, 400, { error: `expected {"id": "<1 to ${MAX_ID_LENGTH} characters>"}` });
  }
  await takeOrder(id, res);
});

if (fireAndForget) await openChannel();
else await connectWithBackoff();
server.listen(port, '127.0.0.1', () => log(`listening on 127.0.0.1:${port}${fireAndForget ? ' (FLAW=fire-and-forget)' : ''}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
