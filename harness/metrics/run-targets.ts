import type { ScrapeTargetGroup } from './scrape-config.ts';

/**
 * What a run's Prometheus scrapes, with the job names the dashboards rely on: the broker's
 * aggregated `/metrics` is job `rabbitmq` (dashboards filter node-wide series on it, because
 * `/metrics/per-object` repeats many of them), per-object series come from `rabbitmq-per-object`;
 * the proxy in front of the broker (embedded or a real Toxiproxy) is job `toxiproxy`.
 * docker/prometheus/prometheus.yml uses the same names.
 */
export const SCRAPE_JOBS = {
  broker: 'rabbitmq',
  brokerPerObject: 'rabbitmq-per-object',
  system: 'order-system',
  harness: 'harness',
  proxy: 'toxiproxy',
} as const;

export const RABBITMQ_PER_OBJECT_PATH = '/metrics/per-object';

/** Anything with the broker's rabbitmq_prometheus port (StartedRabbitNode). */
export interface BrokerMetricsEndpoint {
  host: string;
  prometheusPort: number;
}

/** Anything listing system processes with their ready info (StartedOrderSystem). */
export interface SystemMetricsEndpoints {
  processes: readonly { instance: string; ready: { metricsPort?: number } | null }[];
}

/** Every node of the broker (one, or each node of a cluster: the dashboards tell them apart by `instance`). */
export function brokerScrapeTargets(...nodes: BrokerMetricsEndpoint[]): ScrapeTargetGroup[] {
  const targets = nodes.map((node) => `${node.host}:${node.prometheusPort}`);
  return [
    { job: SCRAPE_JOBS.broker, targets },
    { job: SCRAPE_JOBS.brokerPerObject, targets, metricsPath: RABBITMQ_PER_OBJECT_PATH },
  ];
}

/** One job for the API and every worker, each at the metricsPort of its ready line. */
export function systemScrapeTargets(system: SystemMetricsEndpoints, host = '127.0.0.1'): ScrapeTargetGroup[] {
  const targets = system.processes.flatMap((p) => (p.ready?.metricsPort ? [`${host}:${p.ready.metricsPort}`] : []));
  return [{ job: SCRAPE_JOBS.system, targets }];
}

export function harnessScrapeTargets(harness: { target: string }): ScrapeTargetGroup[] {
  return [{ job: SCRAPE_JOBS.harness, targets: [harness.target] }];
}

/**
 * The proxy's byte counters, served at `/metrics` on its API (StartedProxyEnv.url): always by the
 * embedded proxy, by a real Toxiproxy (2.6+) only when started with `-proxy-metrics`.
 */
export function proxyScrapeTargets(proxies: { url: string }): ScrapeTargetGroup[] {
  const url = new URL(proxies.url);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return [{ job: SCRAPE_JOBS.proxy, targets: [`${url.hostname}:${port}`] }];
}

/** Everything a run has: `startPrometheus({ dir, targets: runScrapeTargets({ broker, system, harness, proxies }) })`. */
export function runScrapeTargets(parts: {
  broker: BrokerMetricsEndpoint;
  system: SystemMetricsEndpoints;
  harness?: { target: string };
  proxies?: { url: string };
}): ScrapeTargetGroup[] {
  return [
    ...brokerScrapeTargets(parts.broker),
    ...systemScrapeTargets(parts.system),
    ...(parts.harness ? harnessScrapeTargets(parts.harness) : []),
    ...(parts.proxies ? proxyScrapeTargets(parts.proxies) : []),
  ];
}
