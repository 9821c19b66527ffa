// Runs load/k6/orders.js the way k6 would (init context, then N iterations) with stubbed k6 modules,
// printing the exported options and every request it made as JSON. Env: K6_ENV (JSON of __ENV), ITERATIONS,
// SUMMARY_DATA (JSON of the data k6 passes to handleSummary: when set, what handleSummary returns is printed too).
import { readFileSync } from 'node:fs';
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
const ordersUrl = new URL('../../../../load/k6/orders.js', import.meta.url);
globalThis.__k6 = { posts: [], responseCallback: undefined, iteration: 0 };
globalThis.__ENV = JSON.parse(process.env.K6_ENV ?? '{}');
// k6's open() resolves a relative path against the script's own directory.
globalThis.open = (path) => readFileSync(new URL(path, ordersUrl), 'utf8');

const script = await import(ordersUrl.href);
const iterations = Number(process.env.ITERATIONS ?? '3');
for (let i = 0; i < iterations; i++) {
  globalThis.__k6.iteration = i;
  script.default();
}
const summary = process.env.SUMMARY_DATA === undefined ? undefined : script.handleSummary(JSON.parse(process.env.SUMMARY_DATA));
process.stdout.write(
  JSON.stringify({ options: script.options, posts: globalThis.__k6.posts, responseCallback: globalThis.__k6.responseCallback, summary }),
);
