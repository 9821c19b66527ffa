import { Rig } from '../harness/runner/rig.ts';
import type { StartedProxyEnv } from '../harness/env/proxy-env.ts';
import type { StartedRabbitNode } from '../harness/env/rabbitmq-node.ts';
import { loadTarget } from '../harness/target/load-target.ts';
import type { DeclaredTopology } from '../harness/target/target.ts';

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
 * one private broker, the two proxies in front of it, the reference target with its default
 * settings connected through them; no Prometheus. Every PID lands in `processes.jsonl`; `stop()`
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
  ): Promise<{ broker: StartedRabbitNode; proxies: StartedProxyEnv; system: BenchSystem }> {
    const target = await loadTarget();
    const settings = target.resolveSettings ? target.resolveSettings({}) : {};
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
      system: { apiUrl: rig.started!.apiUrl, historyDir: rig.context!.historyDir, topology: target.topology, settings },
    };
  }

  async stop(): Promise<void> {
    await this.#rig?.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
