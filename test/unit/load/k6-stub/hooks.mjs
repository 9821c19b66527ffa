// Module hooks standing in for k6's built-in modules, so load/k6/orders.js can be loaded by Node in a test.
const STUBS = {
  'k6/http': `
    const http = {
      post(url, body, params) { globalThis.__k6.posts.push({ url, body, params }); return { status: 201 }; },
      setResponseCallback(callback) { globalThis.__k6.responseCallback = callback; },
      expectedStatuses(...ranges) { return { expectedStatuses: ranges }; },
    };
    export default http;`,
  'k6/execution': `
    export default { scenario: { get iterationInTest() { return globalThis.__k6.iteration; } } };`,
};

export async function resolve(specifier, context, nextResolve) {
  if (Object.hasOwn(STUBS, specifier)) return { url: `k6stub:${specifier}`, shortCircuit: true };
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('k6stub:')) return { format: 'module', source: STUBS[url.slice('k6stub:'.length)], shortCircuit: true };
  return nextLoad(url, context);
}
