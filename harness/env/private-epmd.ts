import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { logTail, sleep, terminate } from './child-exit.ts';
import { executableCandidates, findOnPath } from './find-on-path.ts';
import { freePort } from './free-port.ts';
import { lifelineGone, spawnWithLifeline } from './lifeline.ts';

const LOOPBACK = '127.0.0.1';
/** Where Debian's Erlang keeps it when PATH does not lead there. */
const ERLANG_BIN_DIR = '/usr/lib/erlang/bin';
const READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 50;
const STOP_GRACE_MS = 2_000;
/** The free port can be taken between asking and binding: try a few. */
const START_ATTEMPTS = 3;

/** Where an epmd of a node in its own network namespace runs (see StartedEpmd.start). */
export interface EpmdPlacement {
  address: string;
  port: number;
  /** Runs a command inside the namespace. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
}

export class EpmdStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EpmdStartError';
  }
}

/**
 * One run's own Erlang port mapper: `epmd -port P -address 127.0.0.1` in the foreground, on a free
 * port, on loopback only, a child of ours under a lifeline, stopped by PID. Without it the first
 * broker of a machine starts `epmd -daemon` on 4369, which outlives the run and listens on every
 * interface unless rabbitmq-env.conf pins it; and our nodes would share the system instance's epmd.
 * Nodes and rabbitmqctl reach it through `ERL_EPMD_PORT`.
 */
export class StartedEpmd {
  readonly port: number;
  readonly address: string;
  readonly #child: ChildProcess;
  readonly #log: WriteStream;

  private constructor(port: number, address: string, child: ChildProcess, log: WriteStream) {
    this.port = port;
    this.address = address;
    this.#child = child;
    this.#log = log;
  }

  /**
   * On loopback and a free port by default. A node in a network namespace of its own (a cluster)
   * gets one there: `placement` runs it inside, on the node's address and the port every node of
   * the cluster uses (nodes find each other's epmd at the peer's address on their own ERL_EPMD_PORT).
   */
  static async start(logFile: string, label: string, placement?: EpmdPlacement): Promise<StartedEpmd> {
    const binary = findEpmd();
    const address = placement?.address ?? LOOPBACK;
    mkdirSync(dirname(logFile), { recursive: true });
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const port = placement?.port ?? (await freePort());
      const log = createWriteStream(logFile, { flags: 'a' });
      log.on('error', () => {});
      const args = ['-port', String(port), '-address', address];
      const command = placement ? placement.wrap(binary, args) : { command: binary, args };
      const child = spawnWithLifeline(command.command, command.args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        label: `epmd ${label}`,
      });
      child.on('error', (err) => log.write(`[harness] could not run ${binary}: ${err.message}\n`));
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      const epmd = new StartedEpmd(port, address, child, log);
      try {
        await epmd.#waitUntilListening(logFile);
        return epmd;
      } catch (err) {
        lastError = err as Error;
        await epmd.stop();
      }
    }
    throw lastError ?? new EpmdStartError('epmd did not start');
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** SIGTERM by PID, SIGKILL if it lingers; its lifeline then goes too. */
  async stop(): Promise<void> {
    if (this.#child.pid !== undefined) {
      await terminate(this.#child, STOP_GRACE_MS);
      await lifelineGone(this.#child);
    }
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  async #waitUntilListening(logFile: string): Promise<void> {
    const child = this.#child;
    if (child.pid === undefined) throw new EpmdStartError(`could not run epmd: ${logTail(logFile)}`);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new EpmdStartError(`epmd exited at once (${child.signalCode ?? `code ${child.exitCode}`}): ${logTail(logFile)}`);
      try {
        await canConnect(this.address, this.port);
        return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await sleep(READY_POLL_MS);
    }
    throw new EpmdStartError(`epmd not listening on ${this.address}:${this.port} within ${READY_TIMEOUT_MS} ms: ${lastError}`);
  }
}

function canConnect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** epmd ships with Erlang: on PATH beside erl, or in Debian's Erlang directory. */
export function findEpmd(env: NodeJS.ProcessEnv = process.env): string {
  const found = findOnPath('epmd', env, [ERLANG_BIN_DIR]);
  if (found) return found;
  const looked = executableCandidates('epmd', env, [ERLANG_BIN_DIR]);
  throw new EpmdStartError(`epmd not found (looked at ${looked.join(', ')}): it comes with Erlang, which rabbitmq-server needs anyway`);
}
