import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { orderBody } from '../../../load/order-body.ts';
import { DEFAULT_PROFILES_URL, resolveProfile } from '../../../load/profiles.ts';
import { k6RunConfig } from '../../../load/k6/profile-options.js';
import { summaryOutputs } from '../../../load/k6/summary.js';
import { crossedRun } from './k6-summary-data.ts';

// k6 is not installed here, so load/k6/orders.js runs under Node with k6's modules stubbed (k6-stub/):
// this checks the script's wiring (options, URL, bodies, timeout, success rule), not k6 itself.

const RUNNER = new URL('./k6-stub/run-orders.mjs', import.meta.url);
const run = promisify(execFile);

interface Captured {
  options: unknown;
  posts: { url: string; body: string; params: { headers: Record<string, string>; timeout: string; tags: Record<string, string> } }[];
  responseCallback: unknown;
  summary?: Record<string, string>;
}

async function runScript(env: Record<string, string>, iterations: number, summaryData?: unknown): Promise<Captured> {
  const summary = summaryData === undefined ? {} : { SUMMARY_DATA: JSON.stringify(summaryData) };
  const { stdout } = await run(process.execPath, [RUNNER.pathname], {
    env: { ...process.env, K6_ENV: JSON.stringify(env), ITERATIONS: String(iterations), ...summary },
    timeout: 20_000,
  });
  return JSON.parse(stdout) as Captured;
}

describe('load/k6/orders.js (k6 modules stubbed)', () => {
  it('exports the options profile-options.js builds from profiles.json, and posts seeded orders', async () => {
    const env = { PROFILE: 'load', RATE: '50', DURATION: '5', SEED: '7', API_URL: 'http://127.0.0.1:9999' };
    const captured = await runScript(env, 5);
    const profilesDoc: unknown = JSON.parse(readFileSync(DEFAULT_PROFILES_URL, 'utf8'));
    expect(captured.options).toEqual(k6RunConfig(profilesDoc, env).options);
    const scenario = (captured.options as { scenarios: { orders: { rate: number; duration: string } } }).scenarios.orders;
    const node = resolveProfile('load', { rate: 50, duration: 5 });
    expect(scenario).toMatchObject({ rate: 50, duration: '5000ms', maxVUs: node.maxInFlight });

    expect(captured.posts).toHaveLength(5);
    captured.posts.forEach((post, i) => {
      expect(post.url).toBe('http://127.0.0.1:9999/orders');
      expect(JSON.parse(post.body)).toEqual(orderBody(7, i));
      expect(post.params.timeout).toBe(`${node.requestTimeoutMs}ms`);
      expect(post.params.headers['Content-Type']).toBe('application/json');
    });
    expect(captured.responseCallback).toEqual({ expectedStatuses: [{ min: 200, max: 299 }] });
  });

  it('ends with handleSummary: text on stdout, k6-summary.json and k6-junit.xml in SUMMARY_DIR, named after the profile', async () => {
    const env = { PROFILE: 'load', SEED: '7', API_URL: 'http://127.0.0.1:9999', SUMMARY_DIR: 'out/k6' };
    const captured = await runScript(env, 0, crossedRun());
    const scenario = (captured.options as { scenarios: { orders: unknown } }).scenarios.orders;
    expect(captured.summary).toEqual(
      summaryOutputs(crossedRun(), {
        dir: 'out/k6',
        suite: 'orders (load)',
        properties: { profile: 'load', ordersUrl: 'http://127.0.0.1:9999/orders', seed: 7, scenario: JSON.stringify(scenario) },
      }),
    );
    expect(Object.keys(captured.summary ?? {})).toEqual(['stdout', 'out/k6/k6-summary.json', 'out/k6/k6-junit.xml']);

    const inWorkingDir = await runScript({ API_URL: 'http://127.0.0.1:9999' }, 0, crossedRun());
    expect(Object.keys(inWorkingDir.summary ?? {})).toEqual(['stdout', 'k6-summary.json', 'k6-junit.xml']);
    expect(inWorkingDir.summary?.stdout).toMatch(/^orders \(smoke\): FAILED, 3 of 5 thresholds crossed/);
  });

  it('fails in the init context with a clear message when API_URL is missing', async () => {
    await expect(runScript({ PROFILE: 'smoke' }, 1)).rejects.toThrow(/API_URL: expected the order API base URL/);
  });
});
