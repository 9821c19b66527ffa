import type { StartedTarget, Target, TargetStartContext } from '../harness/target/target.ts';
import { FLAWS, isFlawName, UnknownFlawError, type FlawName } from './flaws.ts';
import { REFERENCE_TOPOLOGY } from './target/declared-topology.ts';
import { readReferenceEffects } from './target/read-effects.ts';
import { API_INSTANCE, freePorts, launches, referenceProcesses } from './target/reference-processes.ts';
import { resolveSystemSpec } from './target/system-spec.ts';

/** The Prometheus job of the system's processes: the Grafana dashboards select on it (docker/prometheus/prometheus.yml too). */
const METRICS_JOB = 'order-system';
const HEALTH_TIMEOUT_MS = 2_000;

/**
 * The reference order system as a target: an API taking orders over HTTP and a pipeline of
 * workers, each its own OS process (system/main.ts), with the article's mistakes as flaws.
 */
const reference: Target = {
  name: 'reference',
  description: 'the reference order system: an HTTP API and a pipeline of order, payment, inventory, notification and dead-letter workers',
  flaws: Object.fromEntries(Object.entries(FLAWS).map(([name, description]) => [name, { description }])),
  // 202: published and confirmed; 503: not taken (broker away, confirm failed or timed out: the API says which in the body).
  workload: { path: '/orders', body: 'reference-order', okStatuses: [202], refusedStatuses: [503] },
  topology: REFERENCE_TOPOLOGY,
  baselineChecks: ['zero-loss', 'effects', 'acknowledgements', 'liveness'],
  resolveSettings(settings) {
    const { flaws: _flaws, ...spec } = resolveSystemSpec(settings, []);
    return { ...spec };
  },
  async processes(context) {
    const spec = resolveSystemSpec(context.settings, flawNames(context.flaws));
    return referenceProcesses(context, spec, await freePorts(launches(spec).length));
  },
  started(context: TargetStartContext, ready): StartedTarget {
    const httpPort = ready.get(API_INSTANCE)?.httpPort;
    const apiUrl = `http://127.0.0.1:${httpPort}`;
    const metricsTargets = [...ready.values()].flatMap((r) => (r.metricsPort ? [`127.0.0.1:${r.metricsPort}`] : []));
    return {
      apiUrl,
      async healthy() {
        try {
          const response = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
          await response.body?.cancel();
          return response.ok;
        } catch {
          return false;
        }
      },
      readEffects: () => readReferenceEffects(context.dataDir),
      metrics: { [METRICS_JOB]: metricsTargets },
    };
  },
};

function flawNames(flaws: readonly string[]): FlawName[] {
  return flaws.map((flaw) => {
    if (!isFlawName(flaw)) throw new UnknownFlawError(flaw);
    return flaw;
  });
}

export default reference;
