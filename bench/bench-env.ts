import { Rig } from '../harness/runner/rig.ts';
import type { StartedProxyEnv } from '../harness/env/proxy-env.ts';
import type { StartedRabbitNode } from '../harness/env/rabbitmq-node.ts';
import { loadTarget } from '../harness/target/load-target.ts';
import type { DeclaredTopology } from '../harness/target/target.ts';
import type { CpuSubject } from './cpu-usage.ts';

export class BenchInterruptedError extends Error {
  override readonly name = 'BenchInterruptedError';
}

/** What a benchmark step loads and reads: the target's workload endpoint, its history and its declared topology. */
export interface BenchSystem {
  apiUrl: string;
  historyDir: string;
  topology: DeclaredTopology;
  /** The settings it runs with (the reference's defaults). */
  settings: Record<string, unknown>;
}

/**
 * What the benchmark runs against, started by the scenario runner's rig (harness/runner/rig.ts):
 * one private broker, the two proxies in front of it (the system connects straight to the broker
 * unless asked to go through them), the reference target with the bench's settings; no Prometheus. Every PID lands in `processes.jsonl`; `stop()`
 * ends them by PID, whatever started.
 */
export class BenchEnv implements AsyncDisposable {
  readonly runDir: string;
  #rig: Rig | null = null;

  constructor(runDir: string) {
    this.runDir = runDir;
  }

  async start(
    signal: AbortSignal,
    log: (message: string) => void,
    request: { settings: Readonly<Record<string, unknown>>; throughProxy: boolean },
  ): Promise<{ broker: StartedRabbitNode; proxies: StartedProxyEnv; system: BenchSystem }> {
    const loaded = await loadTarget();
    const settings = loaded.resolveSettings ? loaded.resolveSettings(request.settings) : {};
    // No fault touches either side in the bench: the proxy would only add its own CPU to every message.
    const target: typeof loaded = request.throughProxy
      ? loaded
      : {
          ...loaded,
          processes: (context) =>
            loaded.processes({
              ...context,
              endpoints: { ...context.endpoints, publishUrl: context.endpoints.directUrl, consumeUrl: context.endpoints.directUrl },
            }),
        };
    const rig = (this.#rig = new Rig({
      runDir: this.runDir,
      target,
      flaws: [],
      settings,
      log,
      throwIfAborted: () => {
        if (signal.aborted) throw new BenchInterruptedError(String(signal.reason));
      },
    }));
    await rig.start(log);
    return {
      broker: rig.broker!,
      proxies: rig.proxies!,
      system: {
        apiUrl: rig.started!.apiUrl,
        historyDir: rig.context!.historyDir,
        topology: target.topology,
        settings: { ...settings, connections: request.throughProxy ? 'through the proxies' : 'direct to the broker' },
      },
    };
  }

  /**
   * Every process whose CPU the bench counts, as they are now: each target process by its role,
   * the broker's Erlang VM with its port programs. No Prometheus runs in the bench; the proxy runs
   * inside the bench's own process (counted there, see cpu-usage.ts).
   */
  cpuSubjects(): CpuSubject[] {
    const rig = this.#rig;
    if (!rig) return [];
    const subjects: CpuSubject[] = [];
    for (const p of rig.processes?.processes ?? []) if (p.pid !== undefined) subjects.push({ kind: p.role, pid: p.pid });
    const broker = rig.broker?.pid;
    if (broker !== undefined) subjects.push({ kind: 'broker', pid: broker, withChildren: true });
    return subjects;
  }

  async stop(): Promise<void> {
    await this.#rig?.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
