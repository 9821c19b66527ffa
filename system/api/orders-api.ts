import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Publisher } from '../amqp/publisher.ts';
import { DEFAULT_CONFIRM_TIMEOUT_MS } from '../config.ts';
import { systemMetrics, type SystemMetrics } from '../metrics/system-metrics.ts';
import { ORDER_ID_EXPECTED, ORDER_ID_PATTERN } from '../order-bounds.ts';
import type { OrdersStore } from '../stores/orders-store.ts';
import { OrderAdmission } from './order-admission.ts';
import { InvalidOrderError, MAX_BODY_BYTES, parseOrderRequest, toOrderCreated, type OrderRequest } from './order-request.ts';
import { readBody } from './read-body.ts';

export interface OrdersApiDeps {
  publisher: Publisher;
  store: OrdersStore;
  /** The API process's name (claims it left mid-publish in an earlier life are taken as in doubt). Default `api`. */
  instance?: string;
  /** The publisher's confirm timeout: an order id claimed by a publisher silent for longer is taken over. */
  confirmTimeoutMs?: number;
  /** Extra routes (e.g. /metrics) served before 404. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;
}

/** Methods that read a resource: HEAD answers as GET without the body (node's http drops it). */
const READ_METHODS = ['GET', 'HEAD'];
const READ_ALLOW = READ_METHODS.join(', ');
const ROUTES_EXPECTED = 'expected POST /orders, GET /orders/:id, GET /health';

/**
 * The order system's HTTP edge. `POST /orders` answers 202 only once the broker confirmed the
 * `order.created` message (so a 202 is a promise the system can keep), 503 when it could not get
 * that confirmation (the body says whether the order certainly was not taken, `fail`, or might
 * have been, `info`), 400 naming the problem for any malformed order or one beyond the bounds the
 * workers accept, publishing nothing, and 409 for a second body under one order id.
 */
export function createOrdersApi(deps: OrdersApiDeps): Server {
  const metrics = systemMetrics();
  const admission = new OrderAdmission({
    publisher: deps.publisher,
    store: deps.store,
    instance: deps.instance ?? 'api',
    confirmTimeoutMs: deps.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS,
  });
  return createServer((req, res) => {
    route(deps, admission, req, res, metrics).catch((err: Error) => {
      if (res.headersSent) res.destroy();
      else send(res, 500, { error: `internal error: ${err.message}` });
    });
  });
}

async function route(
  deps: OrdersApiDeps,
  admission: OrderAdmission,
  req: IncomingMessage,
  res: ServerResponse,
  metrics: SystemMetrics,
): Promise<void> {
  // The path as sent: no URL parsing, so `//x` or an absolute-form target cannot turn into a host.
  const path = (req.url ?? '/').split(/[?#]/, 1)[0]!;
  if (path === '/orders') {
    if (req.method !== 'POST') return send(res, 405, { error: `expected POST /orders, got ${req.method}` }, { allow: 'POST' });
    return postOrder(deps, admission, req, res, metrics);
  }
  const match = /^\/orders\/([^/]+)$/.exec(path);
  if (match) {
    if (!READ_METHODS.includes(req.method ?? ''))
      return send(res, 405, { error: `expected GET /orders/:id, got ${req.method}` }, { allow: READ_ALLOW });
    return getOrder(deps, res, match[1]!);
  }
  if (path === '/health') {
    if (!READ_METHODS.includes(req.method ?? ''))
      return send(res, 405, { error: `expected GET /health, got ${req.method}` }, { allow: READ_ALLOW });
    return send(res, deps.publisher.connected ? 200 : 503, { connected: deps.publisher.connected });
  }
  if (deps.extraRoutes && (await deps.extraRoutes(req, res))) return;
  send(res, 404, { error: `no route for ${req.method} ${path}; ${ROUTES_EXPECTED}` });
}

function getOrder(deps: OrdersApiDeps, res: ServerResponse, encodedId: string): void {
  let id: string;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    return send(res, 400, { error: `order id ${JSON.stringify(encodedId)} is not valid percent-encoding; expected ${ORDER_ID_EXPECTED}` });
  }
  if (!ORDER_ID_PATTERN.test(id)) return send(res, 400, { error: `order id ${JSON.stringify(id)}: expected ${ORDER_ID_EXPECTED}` });
  const order = deps.store.find(id);
  return order ? send(res, 200, order) : send(res, 404, { error: `order ${id} not found` });
}

async function postOrder(
  deps: OrdersApiDeps,
  admission: OrderAdmission,
  req: IncomingMessage,
  res: ServerResponse,
  metrics: SystemMetrics,
): Promise<void> {
  const contentType = req.headers['content-type'] ?? '';
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.kind === 'too-large') {
    metrics.orderRejected('invalid');
    return send(
      res,
      400,
      { error: `body too large: ${body.bytes} bytes, expected at most ${MAX_BODY_BYTES}` },
      body.closeConnection ? { connection: 'close' } : {},
    );
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
  const answer = await admission.admit(orderId, hashOrder(request), (at) => toOrderCreated(orderId, request, at));
  if (answer.counted === 'accepted') metrics.orderAccepted();
  else if (answer.counted !== 'duplicate') metrics.orderRejected(answer.counted);
  send(res, answer.status, answer.body, answer.headers);
}

function hashOrder(request: OrderRequest): string {
  return createHash('sha256')
    .update(JSON.stringify({ userId: request.userId, items: request.items }))
    .digest('hex');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
