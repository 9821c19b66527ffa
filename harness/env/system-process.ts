import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CONFIG_ENV, type SystemProcessConfigInput } from '../../system/config.ts';
import { logTail, sleep, terminate } from './child-exit.ts';
import { registerChild } from './child-registry.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SYSTEM_ENTRY = 'system/main.ts';
const READY_TIMEOUT_MS = 60_000;
/** The system's own graceful stop is bounded at ~5 s; after this we stop asking. */
const STOP_GRACE_MS = 8_000;

export class SystemProcessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SystemProcessError';
  }
}

export interface ReadyInfo {
  pid: number;
  instance: string;
  httpPort?: number;
  metricsPort?: number;
}

/**
 * One OS process of the reference system (API or a worker instance), run as
 * `node --import tsx system/main.ts` directly: one PID per process, no wrapper that a signal
 * would miss. Its stdin stays open as a lifeline: the process exits by itself if we die.
 */
export class StartedSystemProcess {
  #config: SystemProcessConfigInput;
  readonly logFile: string;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #ready: ReadyInfo | null = null;
  #log: WriteStream;
  #paused = false;

  private constructor(config: SystemProcessConfigInput, logFile: string) {
    this.#config = config;
    this.logFile = logFile;
    mkdirSync(dirname(logFile), { recursive: true });
    this.#log = createWriteStream(logFile, { flags: 'a' });
  }

  static async start(config: SystemProcessConfigInput, logFile: string): Promise<StartedSystemProcess> {
    const started = new StartedSystemProcess(config, logFile);
    await started.start();
    return started;
  }

  get config(): SystemProcessConfigInput {
    return this.#config;
  }
  get instance(): string {
    return this.config.instance;
  }
  get role(): string {
    return this.config.role;
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

  /** Starts (or restarts) the process and waits for its ready line. */
  async start(): Promise<ReadyInfo> {
    if (this.#child) throw new SystemProcessError(`${this.instance} is already running (pid ${this.#child.pid})`);
    const child = spawn(process.execPath, ['--import', 'tsx', SYSTEM_ENTRY], {
      cwd: REPO_ROOT,
      env: { ...process.env, [CONFIG_ENV]: JSON.stringify(this.config) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
    const ready = new Promise<ReadyInfo>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        this.#log.write(line + '\n');
        if (this.#ready || !line.startsWith('{')) return;
        try {
          const parsed = JSON.parse(line) as { ready?: boolean } & ReadyInfo;
          if (parsed.ready) {
            this.#ready = parsed;
            // A restarted API must come back on the same port: load clients keep using it.
            // Same for metrics: Prometheus keeps scraping the port it was given.
            if (parsed.httpPort && !this.#config.httpPort) this.#config = { ...this.#config, httpPort: parsed.httpPort };
            if (parsed.metricsPort && !this.#config.metricsPort) this.#config = { ...this.#config, metricsPort: parsed.metricsPort };
            resolve(parsed);
          }
        } catch {
          // an ordinary log line that happens to start with "{"
        }
      });
      child.once('exit', (code, signal) => reject(new SystemProcessError(`${this.instance} exited before it was ready (${signal ?? `code ${code}`}):\n${logTail(this.logFile, 20)}`)));
    });
    const timeout = sleep(READY_TIMEOUT_MS).then(() => {
      throw new SystemProcessError(`${this.instance} not ready within ${READY_TIMEOUT_MS} ms:\n${logTail(this.logFile, 20)}`);
    });
    try {
      return await Promise.race([ready, timeout]);
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

