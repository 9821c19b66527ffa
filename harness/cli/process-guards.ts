import { killAllChildrenNow } from '../env/child-registry.ts';
import { findRabbitMq, RabbitMqNotFoundError } from '../env/rabbitmq-binary.ts';

/**
 * Ctrl-C / SIGTERM for a command that starts processes: the first signal aborts the returned
 * signal (the command heals faults and stops what it started, by PID); a second one kills every
 * child at once and exits 2.
 */
export function interruptOnSignals(log: (message: string) => void, whatStops: string): AbortSignal {
  const interrupt = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      killAllChildrenNow();
      process.exit(2);
    }
    log(`${signal}: ${whatStops} (again to kill at once)`);
    interrupt.abort(`interrupted by ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return interrupt.signal;
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
