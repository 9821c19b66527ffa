import { killAllChildrenNow } from '../env/child-registry.ts';
import { assertNetnsAvailable, NetworkUnavailableError } from '../../chaos/cluster/private-network.ts';
import { findRabbitMq, RabbitMqNotFoundError } from '../env/rabbitmq-binary.ts';

/**
 * Two signals closer than this are one interrupt delivered twice: a Ctrl-C reaches us from the
 * terminal and again, a few ms later, forwarded by npm.
 */
export const SAME_INTERRUPT_MS = 500;
/** How often we look whether the process that started us is still there. */
export const PARENT_POLL_MS = 1_000;

/**
 * Ctrl-C / SIGTERM for a command that starts processes: the first signal aborts the returned
 * signal (the command heals faults and stops what it started, by PID, and exits 2); a second one
 * (not the same Ctrl-C forwarded by npm) kills every child at once and exits 2. The parent going
 * away (npm or a CI runner killed without passing anything on) counts as the first signal: an
 * orphaned run would otherwise go on alone, and forever with --keep.
 */
export function interruptOnSignals(log: (message: string) => void, whatStops: string): AbortSignal {
  const interrupt = new AbortController();
  let firstAt: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstAt !== null) {
      if (now - firstAt < SAME_INTERRUPT_MS) return;
      killAllChildrenNow();
      process.exit(2);
    }
    firstAt = now;
    log(`${signal}: ${whatStops} (again to kill at once)`);
    interrupt.abort(`interrupted by ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  onParentGone((parent) => {
    if (interrupt.signal.aborted) return;
    // Whoever read our output may have gone with the parent: a write to a closed pipe must not end the cleanup.
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    firstAt = Date.now();
    log(`parent process ${parent} exited: ${whatStops}`);
    interrupt.abort(`parent process ${parent} exited`);
  });
  return interrupt.signal;
}

/**
 * Calls `callback` once, within `pollMs`, after the process that started us has gone (we are then
 * re-parented to init or a subreaper). Never keeps the process alive by itself.
 */
export function onParentGone(callback: (parent: number) => void, pollMs = PARENT_POLL_MS): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    callback(parent);
  }, pollMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** False (having said how to install it) when no rabbitmq-server can be found. */
export function rabbitMqAvailable(): boolean {
  try {
    findRabbitMq();
    return true;
  } catch (err) {
    if (!(err instanceof RabbitMqNotFoundError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return false;
  }
}

/** Whether a cluster can be built here (root, `ip netns`); says why not on stderr. Single-broker scenarios do not ask. */
export async function clusterNetworkAvailable(scenario: string): Promise<boolean> {
  try {
    await assertNetnsAvailable();
    return true;
  } catch (err) {
    if (!(err instanceof NetworkUnavailableError)) throw err;
    process.stderr.write(`${scenario} runs on a cluster, which cannot be built here: ${err.message}\n`);
    return false;
  }
}

/** Runs a command's main and exits with its code; a crash kills every child and exits 2. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`fatal: ${err.stack ?? err.message}\n`);
      killAllChildrenNow();
      process.exit(2);
    },
  );
}
