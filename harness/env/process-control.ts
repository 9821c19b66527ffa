import { readFileSync } from 'node:fs';
import type { ProcessControl, ProcessInfo } from '../../chaos/fault.ts';
import type { StartedProcesses } from '../target/started-processes.ts';
import type { StartedTargetProcess } from '../target/target-process.ts';

export class UnknownInstanceError extends Error {
  constructor(
    readonly instance: string,
    known: readonly string[],
  ) {
    super(`no target process named "${instance}": expected one of ${known.join(', ')}`);
    this.name = 'UnknownInstanceError';
  }
}

/** What faults get as `env.processes`: the running target's processes, by instance name. */
export function processControlFor(system: StartedProcesses): ProcessControl {
  const find = (instance: string): StartedTargetProcess => {
    const process = system.find(instance);
    if (!process)
      throw new UnknownInstanceError(
        instance,
        system.processes.map((p) => p.instance),
      );
    return process;
  };
  return {
    list: (): ProcessInfo[] =>
      system.processes.map((p) => ({
        instance: p.instance,
        role: p.role,
        running: p.running,
        paused: p.paused,
        ...(p.pid !== undefined ? { pid: p.pid } : {}),
      })),
    kill: (instance) => find(instance).kill(),
    async start(instance) {
      const process = find(instance);
      if (!process.running) await process.start();
    },
    async pause(instance) {
      const process = find(instance);
      process.pause();
      await untilState(process.pid, (state) => state === STOPPED);
    },
    async resume(instance) {
      const process = find(instance);
      process.resume();
      await untilState(process.pid, (state) => state !== STOPPED);
    },
  };
}

/** `T` in /proc/<pid>/stat: stopped by a signal. */
const STOPPED = 'T';
const SIGNAL_SETTLE_MS = 2_000;
const SIGNAL_POLL_MS = 5;

/**
 * A signal is delivered asynchronously: wait (bounded) until the kernel shows its effect, so a
 * fault's start has really frozen the process when it resolves. Without /proc, do not wait.
 */
async function untilState(pid: number | undefined, wanted: (state: string) => boolean): Promise<void> {
  if (pid === undefined) return;
  const deadline = Date.now() + SIGNAL_SETTLE_MS;
  for (;;) {
    const state = processState(pid);
    if (state === undefined || wanted(state) || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, SIGNAL_POLL_MS));
  }
}

function processState(pid: number): string | undefined {
  try {
    // "pid (comm) S ...": the state letter follows the command name, which may itself hold spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}
