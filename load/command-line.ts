import { parseArgs, type ParseArgsConfig } from 'node:util';
import { joinNegativeValues } from './numeric-option.ts';
import { UsageError } from './usage-error.ts';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, strict and without positionals, as every command line here wants it: a
 * negative number after a long option is taken as its value (so the range check can refuse it by
 * name instead of parseArgs calling it ambiguous), and whatever parseArgs refuses is a UsageError.
 */
export function parseCommandLine<const O extends OptionsConfig>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: joinNegativeValues(argv), options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
