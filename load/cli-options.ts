import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MAX_CLIENT_RETRIES } from './client-retry.ts';
import { parseCommandLine } from './command-line.ts';
import { parseOptionalNumeric, type NumericOption } from './numeric-option.ts';
import { UsageError } from './usage-error.ts';

// Command-line options of `npm run load`, parsed without side effects so they can be tested.

export const DEFAULT_PROFILE = 'smoke';
export const DEFAULT_SEED = 1;
export const ENDPOINTS_FILE = 'runs/latest/endpoints.json';

export const USAGE = `usage: npm run load -- [--profile NAME] [--rate N] [--duration S] [--url URL] [options]
  --profile NAME       load profile from load/profiles.json (default ${DEFAULT_PROFILE})
  --rate N             requests per second, an integer > 0 (scales a ramping profile's peak to N)
  --duration S         seconds >= 1 (stretches a ramping profile's stages)
  --url URL            order API base URL (default: apiUrl from ${ENDPOINTS_FILE})
  --max-in-flight N    concurrent requests allowed (default: the profile's, scaled with --rate)
  --seed N             integer seed for order bodies (default ${DEFAULT_SEED})
  --client-retries N   re-send an order answered 5xx or not at all, same id, with backoff, 0 to ${MAX_CLIENT_RETRIES} (default 0, like k6)
  --json               print the final summary as JSON on stdout
  --help               this text
exit codes: 0 thresholds hold, 1 a threshold failed, 2 bad options or could not run`;

export interface LoadCliOptions {
  profile: string;
  rate?: number;
  duration?: number;
  url?: string;
  maxInFlight?: number;
  clientRetries?: number;
  seed: number;
  json: boolean;
  help: boolean;
}

export class EndpointsNotFoundError extends Error {
  override readonly name = 'EndpointsNotFoundError';
}

const RATE_OPTION: NumericOption = { flag: '--rate', min: 1, integer: true };
const DURATION_OPTION: NumericOption = { flag: '--duration', min: 1 };
const MAX_IN_FLIGHT_OPTION: NumericOption = { flag: '--max-in-flight', min: 1, integer: true };
const SEED_OPTION: NumericOption = { flag: '--seed', min: 0, integer: true };
const CLIENT_RETRIES_OPTION: NumericOption = { flag: '--client-retries', min: 0, max: MAX_CLIENT_RETRIES, integer: true };

export function parseLoadArgs(argv: readonly string[]): LoadCliOptions {
  const values = parseCommandLine(argv, {
    profile: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    url: { type: 'string' },
    'max-in-flight': { type: 'string' },
    seed: { type: 'string' },
    'client-retries': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.url !== undefined) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(values.url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new UsageError(`--url: expected an http(s) URL such as http://127.0.0.1:3000, got "${values.url}"`);
    }
  }
  const options: LoadCliOptions = {
    profile: values.profile ?? DEFAULT_PROFILE,
    seed: parseOptionalNumeric(SEED_OPTION, values.seed) ?? DEFAULT_SEED,
    json: values.json ?? false,
    help: values.help ?? false,
  };
  const rate = parseOptionalNumeric(RATE_OPTION, values.rate);
  const duration = parseOptionalNumeric(DURATION_OPTION, values.duration);
  const maxInFlight = parseOptionalNumeric(MAX_IN_FLIGHT_OPTION, values['max-in-flight']);
  const clientRetries = parseOptionalNumeric(CLIENT_RETRIES_OPTION, values['client-retries']);
  if (rate !== undefined) options.rate = rate;
  if (duration !== undefined) options.duration = duration;
  if (maxInFlight !== undefined) options.maxInFlight = maxInFlight;
  if (clientRetries !== undefined) options.clientRetries = clientRetries;
  if (values.url !== undefined) options.url = values.url;
  return options;
}

/** apiUrl from runs/latest/endpoints.json under `cwd`, written by the harness when it starts a system. */
export function readApiUrl(cwd: string): string {
  const file = resolve(cwd, ENDPOINTS_FILE);
  if (!existsSync(file)) {
    throw new EndpointsNotFoundError(
      `no --url given and ${file} does not exist: start a system with the harness first, or pass --url http://HOST:PORT`,
    );
  }
  let apiUrl: unknown;
  try {
    apiUrl = (JSON.parse(readFileSync(file, 'utf8')) as { apiUrl?: unknown }).apiUrl;
  } catch (error) {
    throw new EndpointsNotFoundError(`${file}: expected JSON like {"apiUrl":"http://127.0.0.1:PORT"}: ${(error as Error).message}`);
  }
  if (typeof apiUrl !== 'string' || apiUrl === '') {
    throw new EndpointsNotFoundError(
      `${file}: expected a string field "apiUrl" like "http://127.0.0.1:PORT", got ${JSON.stringify(apiUrl)}`,
    );
  }
  return apiUrl;
}
