import { join } from 'node:path';
import { StartedProcesses } from '../../harness/target/started-processes.ts';
import type { StartedTargetProcess } from '../../harness/target/target-process.ts';
import type { StartedTarget, TargetProcessSpec } from '../../harness/target/target.ts';
import { CONFIG_ENV, type SystemProcessConfigInput } from '../../system/config.ts';
import reference from '../../system/target.ts';
import { REPO_ROOT } from '../../harness/env/repo-root.ts';

/**
 * The reference target started the way the runner's rig starts it (system/target.ts through
 * StartedProcesses), on endpoints a test chose: for integration tests that need the real system
 * without a whole scenario run.
 */
export class StartedReferenceSystem implements AsyncDisposable {
  readonly running: StartedProcesses;
  readonly started: StartedTarget;
  readonly historyDir: string;
  readonly dataDir: string;

  private constructor(running: StartedProcesses, started: StartedTarget, historyDir: string, dataDir: string) {
    this.running = running;
    this.started = started;
    this.historyDir = historyDir;
    this.dataDir = dataDir;
  }

  /** `spec`: the reference's settings (system/target/system-spec.ts), with the flaws to plant under `flaws`. */
  static async start(
    runDir: string,
    endpoints: { publishUrl: string; consumeUrl: string },
    spec: Record<string, unknown> & { flaws?: readonly string[] } = {},
  ): Promise<StartedReferenceSystem> {
    const { flaws = [], ...settings } = spec;
    const context = {
      runDir,
      historyDir: join(runDir, 'history'),
      dataDir: join(runDir, 'data'),
      endpoints: { ...endpoints, directUrl: endpoints.consumeUrl },
      flaws,
      settings: reference.resolveSettings!(settings),
    };
    const processes = await StartedProcesses.start(runDir, await reference.processes(context));
    return new StartedReferenceSystem(processes, reference.started(context, processes.readyInfo()), context.historyDir, context.dataDir);
  }

  get processes(): readonly StartedTargetProcess[] {
    return this.running.processes;
  }
  get apiUrl(): string {
    return this.started.apiUrl;
  }
  get api(): StartedTargetProcess {
    return this.running.instancesOf('api')[0]!;
  }
  get workers(): StartedTargetProcess[] {
    return this.running.processes.filter((p) => p.role !== 'api');
  }
  instancesOf(role: string): StartedTargetProcess[] {
    return this.running.instancesOf(role);
  }
  find(instance: string): StartedTargetProcess | undefined {
    return this.running.find(instance);
  }
  async stop(): Promise<void> {
    await this.running.stop();
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** One reference system process from its config, as a spec StartedTargetProcess can start (the config's ports are used as given). */
export function referenceProcessSpec(config: SystemProcessConfigInput): TargetProcessSpec {
  return {
    instance: config.instance,
    role: config.role,
    command: process.execPath,
    args: ['--import', 'tsx', 'system/main.ts'],
    cwd: REPO_ROOT,
    env: { [CONFIG_ENV]: JSON.stringify(config) },
    ready: { kind: 'json-line' },
  };
}
