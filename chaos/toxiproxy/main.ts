// Runs the embedded Toxiproxy as its own OS process:
//   tsx chaos/toxiproxy/main.ts [--host 127.0.0.1] [--port N] [--exit-on-stdin-close] [--allow-non-loopback]
// Prints one JSON line {"url": ..., "pid": ...} on stdout once listening, and stops cleanly on SIGTERM or
// SIGINT, or when stdin closes if asked to, so a parent that dies cannot leave it orphaned.
// The API and every proxy listen on loopback only, unless --allow-non-loopback says otherwise.
import { parseArgs } from 'node:util';
import { isLoopbackHost } from './address.ts';
import { startEmbeddedToxiproxy, type EmbeddedToxiproxyOptions } from './index.ts';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_BAD_USAGE = 2;
const MAX_PORT = 65_535;
const PORT_PATTERN = /^\d+$/;
const USAGE = 'usage: tsx chaos/toxiproxy/main.ts [--host 127.0.0.1] [--port N] [--exit-on-stdin-close] [--allow-non-loopback]';

/**
 * Its own, not load/usage-error.ts: chaos/ imports only its own files, so that the proxy runs
 * (and could be lifted out) without the rest of the harness.
 */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface CliOptions extends EmbeddedToxiproxyOptions {
  exitOnStdinClose: boolean;
}

function parseCliArgs(args: readonly string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'exit-on-stdin-close': { type: 'boolean' },
        'allow-non-loopback': { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options: CliOptions = { exitOnStdinClose: values['exit-on-stdin-close'] === true };
  if (values.host !== undefined) options.host = values.host;
  if (values['allow-non-loopback'] === true) options.allowNonLoopback = true;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!PORT_PATTERN.test(values.port) || port > MAX_PORT)
      throw new UsageError(`--port: expected an integer from 0 to ${MAX_PORT}, got "${values.port}"`);
    options.port = port;
  }
  if (options.host !== undefined && !isLoopbackHost(options.host) && options.allowNonLoopback !== true) {
    throw new UsageError(`--host ${options.host} is not loopback: expected 127.0.0.1, ::1 or localhost, or add --allow-non-loopback`);
  }
  return options;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(EXIT_BAD_USAGE);
  }
  const toxiproxy = await startEmbeddedToxiproxy(options);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    toxiproxy.stop().then(
      () => process.exit(EXIT_OK),
      (error: unknown) => {
        process.stderr.write(`toxiproxy: stop failed: ${String(error)}\n`);
        process.exit(EXIT_FAILED);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (options.exitOnStdinClose) {
    process.stdin.on('end', shutdown);
    process.stdin.on('close', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }
  process.stdout.write(`${JSON.stringify({ url: toxiproxy.url, pid: process.pid })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`toxiproxy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(EXIT_FAILED);
});
