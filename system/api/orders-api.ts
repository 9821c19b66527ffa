import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Publisher } from '../amqp/publisher.ts';
import { EXCHANGES, ROUTING_KEYS } from '../amqp/topology.ts';
import { messageIds } from '../messages.ts';
import { systemMetrics, type SystemMetrics } from '../metrics/system-metrics.ts';
import type { OrdersStore } from '../stores/orders-store.ts';
import { InvalidOrderError, MAX_BODY_BYTES, parseOrderRequest, toOrderCreated, type OrderRequest } from './order-request.ts';
import { readBody } from './read-body.ts';

export interface OrdersApiDeps {
  publisher: Publisher;
  store: OrdersStore;
  /** Extra routes (e.g. /metrics) served before 404. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;
}

/**
 * The order system's HTTP edge. `POST /orders` answers 202 only once the broker confirmed the
 * `order.created` message (so a 202 is a promise the system can keep), 503 when it could not get
 * that confirmation (the body says whether the order certainly was not taken, `fail`, or might
 * have been, `info`), and 400 naming the problem for any malformed order, publishing nothing.
 */
export function createOrdersApi(deps: OrdersApiDeps): Server {
  const metrics = systemMetrics();
  return createServer((req, res) => {
    route(deps, req, res, metrics).catch((err: Error) => send(res, 500, { error: `internal error: ${err.message}` }));
  });
}

async function route(deps: OrdersApiDeps, req: IncomingMessage, res: ServerResponse, metrics: SystemMetrics): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/orders') {
    if (req.method !== 'POST') return send(res, 405, { error: 'expected POST /orders' }, { allow: 'POST' });
    return postOrder(deps, req, res, metrics);
  }
  const match = /^\/orders\/([^/]+)$/.exec(url.pathname);
  if (match) {
    if (req.method !== 'GET') return send(res, 405, { error: 'expected GET /orders/:id' }, { allow: 'GET' });
    const order = deps.store.find(decodeURIComponent(match[1]!));
    return order ? send(res, 200, order) : send(res, 404, { error: `order ${match[1]} not found` });
  }
  if (url.pathname === '/health') return send(res, deps.publisher.connected ? 200 : 503, { connected: deps.publisher.connected });
  if (deps.extraRoutes && (await deps.extraRoutes(req, res))) return;
  send(res, 404, { error: `no route for ${req.method} ${url.pathname}; expected POST /orders, GET /orders/:id, GET /health` });
}

async function postOrder(deps: OrdersApiDeps, req: IncomingMessage, res: ServerResponse, metrics: SystemMetrics): Promise<void> {
  const contentType = req.headers['content-type'] ?? '';
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.kind === 'too-large') {
    metrics.orderRejected('invalid');
    return send(res, 400, { error: `body too large: ${body.bytes} bytes, expected at most ${MAX_BODY_BYTES}` }, body.closeConnection ? { connection: 'close' } : {});
  }
  if (!/^application\/json\b/i.test(contentType)) {
    metrics.orderRejected('invalid');
    return send(res, 400, { error: `expected Content-Type: application/json, got ${contentType || 'none'}` });
  }
  let request: OrderRequest;
  try {
    request = parseOrderRequest(body.text);
  } catch (err) {
    if (err instanceof InvalidOrderError) {
      metrics.orderRejected('invalid');
      return send(res, 400, { error: 'invalid order', problems: err.problems });
    }
    throw err;
  }

  const orderId = request.id ?? randomUUID();
  const bodyHash = hashOrder(request);
  const existing = request.id ? deps.store.find(orderId) : undefined;
  if (existing?.bodyHash) {
    if (existing.bodyHash !== bodyHash) {
      metrics.orderRejected('conflict');
      return send(res, 409, { error: `order ${orderId} already exists with a different body` });
    }
    return send(res, 202, { orderId, status: existing.status, duplicate: true });
  }

  const order = toOrderCreated(orderId, request, Date.now());
  const result = await deps.publisher.publish({
    exchange: EXCHANGES.orders.name,
    routingKey: ROUTING_KEYS.orderCreated,
    messageId: messageIds.orderCreated(orderId),
    orderId,
    body: order,
  });
  if (result.outcome !== 'ok') {
    metrics.orderRejected('unavailable');
    return send(res, 503, { error: `order not accepted: ${result.error ?? 'broker unavailable'}`, orderId, outcome: result.outcome }, { 'retry-after': '1' });
  }
  deps.store.recordAccepted(order, bodyHash);
  metrics.orderAccepted();
  send(res, 202, { orderId, status: 'accepted' });
}

function hashOrder(request: OrderRequest): string {
  return createHash('sha256').update(JSON.stringify({ userId: request.userId, items: request.items })).digest('hex');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
