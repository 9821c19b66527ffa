// Runs the embedded Toxiproxy as its own OS process:
//   tsx chaos/toxiproxy/main.ts [--host 127.0.0.1] [--port N] [--exit-on-stdin-close] [--allow-non-loopback]
// Prints one JSON line {"url": ..., "pid": ...} on stdout once listening, and stops cleanly on SIGTERM or
// SIGINT, or when stdin closes if asked to, so a parent that dies cannot leave it orphaned.
// The API and every proxy listen on loopback only, unless --allow-non-loopback says otherwise.
import { isLoopbackHost } from './address.ts';
import { startEmbeddedToxiproxy, type EmbeddedToxiproxyOptions } from './index.ts';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_BAD_USAGE = 2;
const MAX_PORT = 65_535;
const USAGE = 'usage: tsx chaos/toxiproxy/main.ts [--host 127.0.0.1] [--port N] [--exit-on-stdin-close] [--allow-non-loopback]';

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface CliOptions extends EmbeddedToxiproxyOptions {
  exitOnStdinClose: boolean;
}

function parseArgs(args: readonly string[]): CliOptions {
  const options: CliOptions = { exitOnStdinClose: false };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    const value = (): string => {
      const next = args[++index];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--host') options.host = value();
    else if (arg === '--port') {
      const text = value();
      const port = Number(text);
      if (!/^\d+$/.test(text) || port > MAX_PORT) throw new UsageError(`--port expects 0-${MAX_PORT}, got "${text}"`);
      options.port = port;
    } else if (arg === '--exit-on-stdin-close') options.exitOnStdinClose = true;
    else if (arg === '--allow-non-loopback') options.allowNonLoopback = true;
    else throw new UsageError(`unknown argument "${arg}"`);
  }
  if (options.host !== undefined && !isLoopbackHost(options.host) && options.allowNonLoopback !== true) {
    throw new UsageError(`--host ${options.host} is not loopback: expected 127.0.0.1, ::1 or localhost, or add --allow-non-loopback`);
  }
  return options;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
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
