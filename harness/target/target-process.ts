import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { logTail, sleep, terminate } from '../env/child-exit.ts';
import { registerChild } from '../env/child-registry.ts';
import type { TargetProcessSpec } from './target.ts';

const READY_TIMEOUT_MS = 60_000;
/** A target's graceful stop should take a few seconds (the reference's is bounded at ~5 s); after this we stop asking. */
const STOP_GRACE_MS = 8_000;
const HTTP_POLL_MS = 100;
const HTTP_PROBE_TIMEOUT_MS = 1_000;

export class TargetProcessError extends Error {
  override readonly name = 'TargetProcessError';
}

/** What a process said when it became ready (a `json-line` ready line may carry its ports). */
export interface ReadyInfo {
  pid: number;
  instance: string;
  httpPort?: number;
  metricsPort?: number;
}

/**
 * One OS process of a target, started from its TargetProcessSpec directly (one PID, no wrapper a
 * signal would miss). Its stdin stays open as a lifeline: a process that reads it can exit by
 * itself when the harness dies (the reference system does). The harness kills, pauses and restarts
 * it for process faults; a restart reuses the spec as is, so the process keeps its ports.
 */
export class StartedTargetProcess {
  readonly spec: TargetProcessSpec;
  readonly logFile: string;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #ready: ReadyInfo | null = null;
  #log: WriteStream;
  #paused = false;

  private constructor(spec: TargetProcessSpec, logFile: string) {
    this.spec = spec;
    this.logFile = logFile;
    mkdirSync(dirname(logFile), { recursive: true });
    this.#log = createWriteStream(logFile, { flags: 'a' });
  }

  static async start(spec: TargetProcessSpec, logFile: string): Promise<StartedTargetProcess> {
    const started = new StartedTargetProcess(spec, logFile);
    try {
      await started.start();
    } catch (err) {
      await started.dispose();
      throw err;
    }
    return started;
  }

  get instance(): string {
    return this.spec.instance;
  }
  get role(): string {
    return this.spec.role;
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  get running(): boolean {
    return this.#child !== null;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get ready(): ReadyInfo | null {
    return this.#ready;
  }

  /** Starts (or restarts) the process and waits until it is ready. */
  async start(): Promise<ReadyInfo> {
    if (this.#child) throw new TargetProcessError(`${this.instance} is already running (pid ${this.#child.pid})`);
    const child = spawn(this.spec.command, [...this.spec.args], {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A command that cannot be found emits 'error' and never 'exit' with a pid: treat it as an exit.
    const spawnFailed = new Promise<never>((_, reject) =>
      child.once('error', (err) =>
        reject(new TargetProcessError(`${this.instance}: could not start ${this.spec.command}: ${err.message}`)),
      ),
    );
    spawnFailed.catch(() => {});
    child.on('error', () => {});
    if (child.pid === undefined) {
      await spawnFailed;
    }
    registerChild(child, this.instance);
    this.#child = child;
    this.#paused = false;
    this.#ready = null;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      this.#log.write(`[harness] ${this.instance} pid ${child.pid} exited (${signal ?? `code ${code}`})\n`);
      if (this.#child === child) this.#child = null;
    });
    child.stdin?.on('error', () => {});
    child.stderr?.pipe(this.#log, { end: false });
    const exitedEarly = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(
          new TargetProcessError(
            `${this.instance} exited before it was ready (${signal ?? `code ${code}`}):\n${logTail(this.logFile, 20)}`,
          ),
        ),
      ),
    );
    exitedEarly.catch(() => {});
    const lines = createInterface({ input: child.stdout! });
    const jsonReady = new Promise<ReadyInfo>((resolve) => {
      lines.on('line', (line) => {
        this.#log.write(line + '\n');
        if (this.spec.ready.kind !== 'json-line' || this.#ready || !line.startsWith('{')) return;
        try {
          const parsed = JSON.parse(line) as { ready?: boolean; httpPort?: number; metricsPort?: number };
          if (parsed.ready) resolve(readyInfo(child.pid!, this.instance, parsed));
        } catch {
          // an ordinary log line that happens to start with "{"
        }
      });
    });
    const ready =
      this.spec.ready.kind === 'json-line'
        ? jsonReady
        : pollHttp(this.spec.ready.url, () => this.#child !== child).then(() => readyInfo(child.pid!, this.instance, {}));
    const timeout = sleep(READY_TIMEOUT_MS).then(() => {
      throw new TargetProcessError(
        `${this.instance} not ready within ${READY_TIMEOUT_MS} ms (${describeReady(this.spec)}):\n${logTail(this.logFile, 20)}`,
      );
    });
    try {
      this.#ready = await Promise.race([ready, exitedEarly, spawnFailed, timeout]);
      return this.#ready;
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  /** Graceful stop (SIGTERM: finish in-flight work, close connections), SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    if (this.#paused) this.resume();
    await terminate(child, STOP_GRACE_MS);
    this.#paused = false;
  }

  /** SIGKILL: the process gets no chance to finish anything (a crash). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
    this.#paused = false;
  }

  /** SIGSTOP: the process freezes with its connections open (a hung consumer). */
  pause(): void {
    if (!this.#child || this.#paused) return;
    this.#child.kill('SIGSTOP');
    this.#paused = true;
  }

  resume(): void {
    if (!this.#child || !this.#paused) return;
    this.#child.kill('SIGCONT');
    this.#paused = false;
  }

  async dispose(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}

function readyInfo(pid: number, instance: string, line: { httpPort?: number; metricsPort?: number }): ReadyInfo {
  return {
    pid,
    instance,
    ...(typeof line.httpPort === 'number' ? { httpPort: line.httpPort } : {}),
    ...(typeof line.metricsPort === 'number' ? { metricsPort: line.metricsPort } : {}),
  };
}

function describeReady(spec: TargetProcessSpec): string {
  return spec.ready.kind === 'json-line' ? 'expected a stdout line {"ready":true}' : `expected ${spec.ready.url} to answer 2xx`;
}

/** Polls `url` until it answers 2xx; gives up quietly once `gone()` (the exit is reported elsewhere). */
async function pollHttp(url: string, gone: () => boolean): Promise<void> {
  while (!gone()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(HTTP_PROBE_TIMEOUT_MS) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(HTTP_POLL_MS);
  }
  await new Promise<never>(() => {});
}
