// Question: at the arrival rate a load profile asks for (open model: arrivals do not wait for responses),
// does the order API accept every order fast enough -- failed-request rate, dropped iterations and p99 latency
// within the profile's thresholds? A failed threshold makes k6 exit with code 99.
//
// Run:   k6 run -e API_URL=http://127.0.0.1:PORT [-e PROFILE=smoke|load|spike|soak] \
//               [-e RATE=<req/s>] [-e DURATION=<seconds>] [-e MAX_IN_FLIGHT=<n>] [-e SEED=<n>] load/k6/orders.js
// The profiles are the same data the Node generator reads (load/profiles.json); bodies match load/order-body.ts.
import http from 'k6/http';
import exec from 'k6/execution';
import { k6RunConfig } from './profile-options.js';
import { orderBody } from './order-body.js';

// open() resolves relative to this script and only works here, in the init context.
const config = k6RunConfig(JSON.parse(open('../profiles.json')), __ENV);

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
