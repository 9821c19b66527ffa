// The HTTP API, route for route, status for status and body for body as Toxiproxy 2.12's api.go
// (gorilla/mux routing, Go's http.Error for errors). No framework: a table of routes and a matcher.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, MissingFieldError, ProxyAlreadyStartedError, ToxicNotFoundError } from './api-errors.ts';
import { decodeBool, decodeString, expectObject, parseBody } from './go-json.ts';
import { PopulateError, type ProxyCollection } from './proxy-collection.ts';
import { METRICS_CONTENT_TYPE, PROXY_METRICS_PATH } from './proxy-metrics.ts';
import type { Proxy } from './proxy.ts';

export const TOXIPROXY_VERSION = '2.12.0';

const HTTP_OK = 200;
const HTTP_CREATED = 201;
const HTTP_NO_CONTENT = 204;
const HTTP_FORBIDDEN = 403;
const HTTP_NOT_FOUND = 404;
const HTTP_METHOD_NOT_ALLOWED = 405;
const HTTP_INTERNAL_SERVER_ERROR = 500;

// Toxiproxy refuses browsers so that a web page cannot reconfigure a developer's proxies (CSRF).
const BROWSER_USER_AGENT_PREFIX = 'Mozilla/';

interface Reply {
  status: number;
  contentType?: string;
  body?: string;
}

type Params = Record<string, string>;
type Handler = (params: Params, body: string) => Promise<Reply>;

interface Route {
  methods: readonly string[];
  segments: readonly string[];
  handler: Handler;
}

function json(status: number, value: unknown): Reply {
  return { status, contentType: 'application/json', body: JSON.stringify(value) };
}

/** Go's http.Error: always text/plain, with a trailing newline. */
function plainError(status: number, text: string): Reply {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${text}\n` };
}

/** Anything that is not already an ApiError is a 500 carrying its message, as Toxiproxy's apiError does. */
function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(error instanceof Error ? error.message : String(error), HTTP_INTERNAL_SERVER_ERROR);
}

function apiError(error: unknown): Reply {
  return plainError(asApiError(error).status, JSON.stringify(asApiError(error)));
}

function withProxy(collection: ProxyCollection, params: Params): Proxy {
  return collection.get(params['proxy'] ?? '');
}

export function createApiHandler(collection: ProxyCollection): (request: IncomingMessage, response: ServerResponse) => void {
  const routes: Route[] = [];
  const route = (methods: readonly string[], path: string, handler: Handler): void => {
    routes.push({ methods, segments: path.split('/').slice(1), handler });
  };

  route(['POST'], '/reset', async () => {
    for (const proxy of collection.all()) {
      try {
        await proxy.start();
      } catch (error) {
        if (!(error instanceof ProxyAlreadyStartedError)) return apiError(error);
      }
      await proxy.toxics.reset();
    }
    return { status: HTTP_NO_CONTENT };
  });

  route(['GET'], '/proxies', async () => {
    const byName: Record<string, unknown> = {};
    for (const proxy of collection.all()) byName[proxy.name] = proxy.toJSON();
    return json(HTTP_OK, byName);
  });

  route(['POST'], '/proxies', async (_params, body) => {
    const object = expectObject(parseBody(body), 'toxiproxy.Proxy');
    const name = decodeString(object, 'name', '', 'Proxy.name');
    const listen = decodeString(object, 'listen', '', 'Proxy.listen');
    const upstream = decodeString(object, 'upstream', '', 'Proxy.upstream');
    const enabled = decodeBool(object, 'enabled', true, 'Proxy.enabled');
    if (name === '') throw new MissingFieldError('name');
    if (upstream === '') throw new MissingFieldError('upstream');
    const proxy = await collection.add({ name, listen, upstream, enabled });
    return json(HTTP_CREATED, proxy.toJSON());
  });

  route(['POST'], '/populate', async (_params, body) => {
    // Populate answers errors as JSON next to the proxies it did create; a Go nil slice shows as null.
    const listed = (proxies: Proxy[]): unknown => (proxies.length === 0 ? null : proxies.map((proxy) => proxy.toJSON()));
    try {
      const proxies = await collection.populate(parseBody(body));
      return json(HTTP_CREATED, { proxies: listed(proxies) });
    } catch (error) {
      const applied = error instanceof PopulateError ? error.applied : [];
      const failure = asApiError(error instanceof PopulateError ? error.failure : error);
      return json(failure.status, { ...failure.toJSON(), proxies: listed(applied) });
    }
  });

  route(['GET'], '/proxies/:proxy', async (params) => json(HTTP_OK, withProxy(collection, params).toJSON()));

  route(['POST', 'PATCH'], '/proxies/:proxy', async (params, body) => {
    const proxy = withProxy(collection, params);
    const object = expectObject(parseBody(body), 'toxiproxy.Proxy');
    const listen = decodeString(object, 'listen', proxy.listen, 'Proxy.listen');
    const upstream = decodeString(object, 'upstream', proxy.upstream, 'Proxy.upstream');
    const enabled = decodeBool(object, 'enabled', proxy.enabled, 'Proxy.enabled');
    collection.checkListen(listen);
    await proxy.update({ listen, upstream, enabled });
    return json(HTTP_OK, proxy.toJSON());
  });

  route(['DELETE'], '/proxies/:proxy', async (params) => {
    await collection.remove(params['proxy'] ?? '');
    return { status: HTTP_NO_CONTENT };
  });

  route(['GET'], '/proxies/:proxy/toxics', async (params) => json(HTTP_OK, withProxy(collection, params).toxics.list()));

  route(['POST'], '/proxies/:proxy/toxics', async (params, body) => {
    const proxy = withProxy(collection, params);
    return json(HTTP_OK, await proxy.toxics.add(parseBody(body)));
  });

  route(['GET'], '/proxies/:proxy/toxics/:toxic', async (params) => {
    const toxic = withProxy(collection, params).toxics.get(params['toxic'] ?? '');
    if (toxic === undefined) throw new ToxicNotFoundError();
    return json(HTTP_OK, toxic);
  });

  route(['POST', 'PATCH'], '/proxies/:proxy/toxics/:toxic', async (params, body) => {
    const proxy = withProxy(collection, params);
    return json(HTTP_OK, await proxy.toxics.update(params['toxic'] ?? '', body));
  });

  route(['DELETE'], '/proxies/:proxy/toxics/:toxic', async (params) => {
    await withProxy(collection, params).toxics.remove(params['toxic'] ?? '');
    return { status: HTTP_NO_CONTENT };
  });

  // A real Toxiproxy serves this only when started with -proxy-metrics; counting costs next to nothing here.
  route(['GET'], PROXY_METRICS_PATH, async () => ({
    status: HTTP_OK,
    contentType: METRICS_CONTENT_TYPE,
    body: collection.metrics.render(),
  }));

  route(['GET'], '/version', async () => ({
    status: HTTP_OK,
    contentType: 'application/json;charset=utf-8',
    body: `{"version": "${TOXIPROXY_VERSION}"}\n`,
  }));

  return (request, response) => {
    void answer(routes, request).then(
      (reply) => send(response, reply),
      (error: unknown) => send(response, apiError(error)),
    );
  };
}

async function answer(routes: readonly Route[], request: IncomingMessage): Promise<Reply> {
  const path = new URL(request.url ?? '/', 'http://toxiproxy').pathname;
  const segments = path.split('/').slice(1);
  let pathMatched = false;
  for (const candidate of routes) {
    const params = matchSegments(candidate.segments, segments);
    if (params === undefined) continue;
    pathMatched = true;
    if (!candidate.methods.includes(request.method ?? '')) continue;
    // Like gorilla/mux middleware, the browser check only runs for a matched route.
    if ((request.headers['user-agent'] ?? '').startsWith(BROWSER_USER_AGENT_PREFIX)) {
      return plainError(HTTP_FORBIDDEN, 'User agent not allowed');
    }
    const body = await readBody(request);
    try {
      return await candidate.handler(params, body);
    } catch (error) {
      return apiError(error);
    }
  }
  // gorilla/mux answers a known path with the wrong method 405 and an empty body.
  return pathMatched ? { status: HTTP_METHOD_NOT_ALLOWED } : plainError(HTTP_NOT_FOUND, '404 page not found');
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Params | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Params = {};
  for (const [index, expected] of pattern.entries()) {
    const actual = segments[index] ?? '';
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.headersSent) return;
  const headers: Record<string, string | number> = {};
  if (reply.contentType !== undefined) headers['Content-Type'] = reply.contentType;
  if (reply.contentType?.startsWith('text/plain') === true) headers['X-Content-Type-Options'] = 'nosniff';
  if (reply.body !== undefined) headers['Content-Length'] = Buffer.byteLength(reply.body);
  response.writeHead(reply.status, headers);
  response.end(reply.body);
}
