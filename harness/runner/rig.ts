import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { recordRunChildren } from '../env/child-registry.ts';
import { PrometheusNotInstalledError, startPrometheus, type RunPrometheus } from '../env/prometheus-server.ts';
import { StartedProxyEnv } from '../env/proxy-env.ts';
import { StartedRabbitCluster } from '../env/rabbitmq-cluster.ts';
import { BrokerStartError, PORT_CLASH_ATTEMPTS, StartedRabbitNode } from '../env/rabbitmq-node.ts';
import { StartedHarnessMetrics } from '../metrics/harness-metrics.ts';
import { brokerScrapeTargets, harnessScrapeTargets, proxyScrapeTargets } from '../metrics/run-targets.ts';
import type { ScrapeTargetGroup } from '../metrics/scrape-config.ts';
import { StartedProcesses } from '../target/started-processes.ts';
import type { StartedTarget, Target, TargetStartContext } from '../target/target.ts';
import type { PhaseRecord } from './run-results.ts';

export interface RigRequest {
  runDir: string;
  target: Target;
  flaws: readonly string[];
  /** The target's resolved settings (`Target.resolveSettings`). */
  settings: Readonly<Record<string, unknown>>;
  /** A cluster of this many nodes instead of a single broker (harness/env/rabbitmq-cluster.ts; needs root and network namespaces). */
  cluster?: number;
  /** Also start the harness's own /metrics and the run's Prometheus (a scenario run does; the benchmark does not). */
  metrics?: { scenario: string; faults: readonly string[]; rate: number };
  log: (message: string) => void;
  /** Called between the steps: throws to give up (an interrupt); what was started is still stopped by `stop()`. */
  throwIfAborted?: () => void;
}

/**
 * Everything a run stands on: a private broker, the proxies in front of it (every AMQP connection
 * of the target goes through one: producer side and consumer side separately), the target's
 * processes, and optionally the harness's metrics and the run's Prometheus. Filled as it starts;
 * `stop()` tears down whatever exists, in the right order, on every path out.
 */
export class Rig {
  /** The single broker, or node 1 of the cluster (what broker faults and the harness's own reads use). */
  broker: StartedRabbitNode | null = null;
  cluster: StartedRabbitCluster | null = null;
  proxies: StartedProxyEnv | null = null;
  processes: StartedProcesses | null = null;
  started: StartedTarget | null = null;
  context: TargetStartContext | null = null;
  harnessMetrics: StartedHarnessMetrics | null = null;
  prometheus: RunPrometheus | null = null;
  /** How long each step of the setup took, then of the teardown: where time to verdict goes. */
  readonly steps: PhaseRecord[] = [];
  readonly request: RigRequest;
  readonly #stopRecording: () => void;
  #stopped = false;

  constructor(request: RigRequest) {
    this.request = request;
    // Every PID the run starts, as it starts it: lets a person (or a test) check nothing outlived the run.
    this.#stopRecording = recordRunChildren(request.runDir);
  }

  /** Starts everything; on an error the caller still calls `stop()`, which stops what did start. */
  async start(onStep: (note: string) => void = () => {}): Promise<void> {
    const { runDir, target, throwIfAborted = () => {} } = this.request;
    onStep(this.request.cluster ? `starting a ${this.request.cluster}-node cluster and its proxies` : 'starting broker and proxy');
    if (this.request.cluster) await this.#startClusterAndProxies(runDir, this.request.cluster);
    else await this.#startBrokerAndProxy(runDir);
    const broker = this.broker!;
    const proxies = this.proxies!;
    throwIfAborted();
    onStep(`starting the ${target.name} target`);
    const context: TargetStartContext = {
      runDir,
      historyDir: join(runDir, 'history'),
      dataDir: join(runDir, 'data'),
      endpoints: { ...proxies.endpoints((host, port) => broker.amqpUrl(host, port)), directUrl: broker.amqpUrl() },
      ...(this.cluster ? { cluster: { nodes: this.cluster.nodes.length } } : {}),
      flaws: this.request.flaws,
      settings: this.request.settings,
    };
    mkdirSync(context.historyDir, { recursive: true });
    mkdirSync(context.dataDir, { recursive: true });
    this.context = context;
    const processes = (this.processes = await this.#step('target', async () =>
      StartedProcesses.start(runDir, await target.processes(context)),
    ));
    this.started = target.started(context, processes.readyInfo());
    throwIfAborted();
    const metrics = this.request.metrics;
    if (!metrics) return;
    await this.#step('metrics', async () => {
      const harnessMetrics = (this.harnessMetrics = await StartedHarnessMetrics.start());
      harnessMetrics.setRunInfo(metrics.scenario);
      harnessMetrics.declareFaults([...metrics.faults]);
      harnessMetrics.setTargetRate(metrics.rate);
      this.prometheus = await startRunPrometheus(join(runDir, 'prometheus'), this.scrapeTargets(), this.request.log);
    });
    throwIfAborted();
  }

  /**
   * The broker and the proxy in front of it, started side by side: the proxy needs only the
   * broker's port. Both are awaited before anything is thrown, so `stop()` finds whatever did
   * start. A port taken between choosing and binding it (BrokerStartError.portTaken) means fresh
   * ports and another try.
   */
  async #startBrokerAndProxy(runDir: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const broker = (this.broker = await StartedRabbitNode.prepare({ dir: join(runDir, 'broker') }));
      const steps = await Promise.allSettled([
        this.#step('broker', () => broker.start()),
        this.#step('proxy', async () => {
          const logFile = join(runDir, 'logs', 'toxiproxy.log');
          this.proxies = await StartedProxyEnv.start({ brokerHost: broker.host, brokerPort: broker.amqpPort, logFile });
        }),
      ]);
      const failed = steps.find((step) => step.status === 'rejected');
      if (!failed) return;
      const reason: unknown = failed.reason;
      if (!(reason instanceof BrokerStartError && reason.portTaken && attempt < PORT_CLASH_ATTEMPTS)) throw reason;
      this.request.log(`broker start: ${reason.message.split('\n')[0]}; starting again on fresh ports`);
      await this.proxies?.stop().catch(() => {});
      await broker.dispose().catch(() => {});
      this.proxies = null;
      this.broker = null;
    }
  }

  /**
   * A cluster in its private network, and a proxy pair per node started once the nodes' addresses
   * are known. Nodes live in namespaces of their own, so no port of theirs can clash with the host's.
   */
  async #startClusterAndProxies(runDir: string, nodes: number): Promise<void> {
    const cluster = (this.cluster = await this.#step('cluster', () => StartedRabbitCluster.start({ dir: join(runDir, 'broker'), nodes })));
    this.broker = cluster.nodes[0]!;
    this.request.log(
      `cluster of ${nodes} nodes formed in ${cluster.formationSeconds} s: ${cluster.nodes.map((n) => n.nodeName).join(', ')}`,
    );
    await this.#step('proxy', async () => {
      const [first, ...others] = cluster.nodes;
      this.proxies = await StartedProxyEnv.start({
        brokerHost: first!.host,
        brokerPort: first!.amqpPort,
        otherNodes: others.map((n) => ({ host: n.host, port: n.amqpPort })),
        logFile: join(runDir, 'logs', 'toxiproxy.log'),
      });
    });
  }

  /** Runs one step and records how long it took, also when it throws. */
  async #step<T>(name: string, run: () => Promise<T>): Promise<T> {
    const begun = performance.now();
    try {
      return await run();
    } finally {
      this.steps.push({ name, seconds: Math.round(performance.now() - begun) / 1000 });
    }
  }

  /** The broker's jobs, the target's own (by the job names it declares) and the harness's. */
  scrapeTargets(): ScrapeTargetGroup[] {
    const targetJobs = Object.entries(this.started?.metrics ?? {}).map(([job, targets]) => ({ job, targets: [...targets] }));
    return [
      ...(this.cluster ? brokerScrapeTargets(...this.cluster.nodes) : this.broker ? brokerScrapeTargets(this.broker) : []),
      // The proxy's byte counters (Toxiproxy's -proxy-metrics names), for the dashboards' traffic panel.
      ...(this.proxies ? proxyScrapeTargets(this.proxies) : []),
      ...targetJobs,
      ...(this.harnessMetrics ? harnessScrapeTargets(this.harnessMetrics) : []),
    ];
  }

  /** Every URL a person may want during or after the run (the broker's carry its password: keep them out of shared files). */
  endpoints(): Record<string, string> {
    const { broker, proxies, started, prometheus, harnessMetrics } = this;
    return {
      ...(started ? { apiUrl: started.apiUrl } : {}),
      ...(prometheus ? { prometheusUrl: prometheus.url, prometheusRemoteWriteUrl: prometheus.remoteWriteUrl } : {}),
      ...(harnessMetrics ? { harnessMetricsUrl: harnessMetrics.url } : {}),
      ...(broker ? { amqpUrl: broker.amqpUrl(), managementUrl: broker.managementUrl, brokerPrometheusUrl: broker.prometheusUrl } : {}),
      ...(proxies ? { toxiproxyUrl: proxies.url } : {}),
    };
  }

  /**
   * Heals the proxies, then stops the target (its last words still reach the broker), the proxies,
   * the broker, Prometheus and the harness's metrics. Never throws; a second call does nothing.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#step('teardown', async () => {
      await this.proxies?.resetAll().catch(() => {});
      await this.processes?.stop().catch(() => {});
      await this.proxies?.stop().catch(() => {});
      if (this.cluster) await this.cluster.dispose().catch(() => {});
      else await this.broker?.dispose().catch(() => {});
      await this.prometheus?.stop().catch(() => {});
      await this.harnessMetrics?.stop().catch(() => {});
    });
    this.#stopRecording();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** The run's Prometheus; a machine without one still runs scenarios, just without recorded metrics. */
async function startRunPrometheus(
  dir: string,
  targets: readonly ScrapeTargetGroup[],
  log: (m: string) => void,
): Promise<RunPrometheus | null> {
  try {
    return await startPrometheus({ dir, targets });
  } catch (err) {
    if (!(err instanceof PrometheusNotInstalledError)) throw err;
    log(`no metrics recorded for this run: ${err.message}`);
    return null;
  }
}
