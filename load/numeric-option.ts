// One parser for the numeric options of every command line (scenario, check, load, bench): a number
// within stated bounds, or a message naming the flag, the range and, past the maximum, why the
// maximum is there. In load/ so that the load generator, which imports only its own files, shares it.
import { UsageError } from './usage-error.ts';

/** A numeric option that is not a number, or out of its range: a usage error like any other. */
export class NumericOptionError extends UsageError {
  override readonly name = 'NumericOptionError';
}

export interface NumericOption {
  /** As the user types it: `--rate`. */
  flag: string;
  min: number;
  /** Omitted: no upper bound. */
  max?: number;
  integer?: boolean;
  /** Said after a value above `max`: why more makes no sense here, and what to use instead. */
  whyMax?: string;
}

/** Decimal notation only: `0x10`, `Infinity` or an empty string are typos, not numbers. */
const NUMBER_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** What parseArgs would take for an option name ("-5" is not one): what `--rate -5` hides. */
const NEGATIVE_NUMBER_PATTERN = /^-(\d|\.\d)/;
const LONG_FLAG_PATTERN = /^--[^=]+$/;
const END_OF_OPTIONS = '--';

export function parseNumericOption(option: NumericOption, raw: string): number {
  const text = raw.trim();
  const value = Number(text);
  const isNumber = NUMBER_PATTERN.test(text) && Number.isFinite(value);
  const expected = `${option.flag}: expected ${describeRange(option)}, got ${isNumber ? text : JSON.stringify(raw)}`;
  if (!isNumber || (option.integer === true && !Number.isSafeInteger(value)) || value < option.min) throw new NumericOptionError(expected);
  if (option.max !== undefined && value > option.max)
    throw new NumericOptionError(option.whyMax ? `${expected}: ${option.whyMax}` : expected);
  return value;
}

/** parseNumericOption, or undefined when the option was not given. */
export function parseOptionalNumeric(option: NumericOption, raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : parseNumericOption(option, raw);
}

function describeRange(option: NumericOption): string {
  const kind = option.integer === true ? 'an integer' : 'a number';
  return option.max === undefined ? `${kind} >= ${option.min}` : `${kind} from ${option.min} to ${option.max}`;
}

/**
 * `--rate -5` reads to parseArgs as an option followed by another option named `-5` ("argument is
 * ambiguous"); rewritten as `--rate=-5` it is a value the range check can then refuse by name.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === END_OF_OPTIONS) return [...joined, ...argv.slice(i)];
    const next = argv[i + 1];
    if (LONG_FLAG_PATTERN.test(arg) && next !== undefined && NEGATIVE_NUMBER_PATTERN.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}
