import { join } from 'node:path';
import { StartedTargetProcess } from './target-process.ts';
import type { TargetProcessSpec } from './target.ts';

/**
 * Every OS process of a running target, by instance name. The harness owns them: process faults
 * find their victims here, and the final read stops them in two steps (the API first).
 */
export class StartedProcesses {
  readonly processes: readonly StartedTargetProcess[];

  private constructor(processes: StartedTargetProcess[]) {
    this.processes = processes;
  }

  /**
   * Starts every spec; logs go to `<runDir>/logs/<instance>.log`. The first spec is awaited before
   * the others start (a target lists first what the rest may need); if one fails, every process
   * already started is stopped before the error propagates.
   */
  static async start(runDir: string, specs: readonly TargetProcessSpec[]): Promise<StartedProcesses> {
    const started: StartedTargetProcess[] = [];
    const startOne = async (spec: TargetProcessSpec) => {
      started.push(await StartedTargetProcess.start(spec, join(runDir, 'logs', `${spec.instance}.log`)));
    };
    try {
      const [first, ...rest] = specs;
      if (first) await startOne(first);
      const results = await Promise.allSettled(rest.map(startOne));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (err) {
      await Promise.all(started.map((p) => p.dispose()));
      throw err;
    }
    const order = new Map(specs.map((s, k) => [s.instance, k]));
    return new StartedProcesses(started.sort((a, b) => order.get(a.instance)! - order.get(b.instance)!));
  }

  find(instance: string): StartedTargetProcess | undefined {
    return this.processes.find((p) => p.instance === instance);
  }

  instancesOf(role: string): StartedTargetProcess[] {
    return this.processes.filter((p) => p.role === role);
  }

  /** What each process reported when it became ready, by instance (the target's `started()` reads its ports here). */
  readyInfo(): Map<string, { httpPort?: number; metricsPort?: number }> {
    return new Map(this.processes.map((p) => [p.instance, p.ready ?? {}]));
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
