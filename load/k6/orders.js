// Question: at the arrival rate a load profile asks for (open model: arrivals do not wait for responses),
// does the order API accept every order fast enough -- failed-request rate, dropped iterations and p99 latency
// within the profile's thresholds? A failed threshold makes k6 exit with code 99.
// At the end (handleSummary, load/k6/summary.js) it prints a short summary and writes k6-summary.json and
// k6-junit.xml (one test case per threshold) into SUMMARY_DIR (default: k6's working directory; it must exist).
//
// Run:   k6 run -e API_URL=http://127.0.0.1:PORT [-e PROFILE=smoke|load|spike|soak] \
//               [-e RATE=<req/s>] [-e DURATION=<seconds>] [-e MAX_IN_FLIGHT=<n>] [-e SEED=<n>] [-e SUMMARY_DIR=<dir>] load/k6/orders.js
// The profiles are the same data the Node generator reads (load/profiles.json); bodies match load/order-body.ts.
import http from 'k6/http';
import exec from 'k6/execution';
import { SCENARIO_NAME, k6RunConfig } from './profile-options.js';
import { orderBody } from './order-body.js';
import { summaryOutputs } from './summary.js';

// open() resolves relative to this script and only works here, in the init context.
const config = k6RunConfig(JSON.parse(open('../profiles.json')), __ENV);

/** @type {import('k6/options').Options} */
export const options = config.options;

// Same success rule as the Node generator: only 2xx counts as ok for http_req_failed.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }));

const params = {
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  timeout: config.requestTimeout,
  tags: { name: 'POST /orders' },
};

export default function () {
  // iterationInTest is unique across the whole test, so every order gets its own deterministic body and id.
  http.post(config.ordersUrl, JSON.stringify(orderBody(config.seed, exec.scenario.iterationInTest)), params);
}

/** @param {import('./summary.js').K6SummaryData} data */
export function handleSummary(data) {
  const scenario = config.options.scenarios[SCENARIO_NAME];
  return summaryOutputs(data, {
    dir: __ENV.SUMMARY_DIR,
    suite: 'orders (' + config.profile + ')',
    properties: { profile: config.profile, ordersUrl: config.ordersUrl, seed: config.seed, scenario: JSON.stringify(scenario) },
  });
}
