import { describe, expect, it } from 'vitest';
import { joinNegativeValues, NumericOptionError, parseNumericOption, parseOptionalNumeric } from '../../../load/numeric-option.ts';
import { UsageError } from '../../../load/usage-error.ts';

const RATE = { flag: '--rate', min: 1, max: 100, whyMax: 'no more here' };

describe('numeric command-line options', () => {
  it.each([
    ['1', 1],
    ['100', 100],
    ['12.5', 12.5],
    [' 7 ', 7],
    ['1e2', 100],
    ['+3', 3],
  ])('takes %j', (raw, value) => {
    expect(parseNumericOption(RATE, raw)).toBe(value);
  });

  it.each([
    ['', '--rate: expected a number from 1 to 100, got ""'],
    ['fast', '--rate: expected a number from 1 to 100, got "fast"'],
    ['0x10', '--rate: expected a number from 1 to 100, got "0x10"'],
    ['Infinity', '--rate: expected a number from 1 to 100, got "Infinity"'],
    ['NaN', '--rate: expected a number from 1 to 100, got "NaN"'],
    ['1e400', '--rate: expected a number from 1 to 100, got "1e400"'],
    ['-5', '--rate: expected a number from 1 to 100, got -5'],
    ['0.5', '--rate: expected a number from 1 to 100, got 0.5'],
    ['101', '--rate: expected a number from 1 to 100, got 101: no more here'],
  ])('refuses %j with "%s"', (raw, message) => {
    expect(() => parseNumericOption(RATE, raw)).toThrow(NumericOptionError);
    expect(() => parseNumericOption(RATE, raw)).toThrow(new NumericOptionError(message));
  });

  it('refuses fractions for an integer option, and says ">= min" when there is no maximum', () => {
    const retries = { flag: '--retries', min: 0, integer: true };
    expect(parseNumericOption(retries, '12345678')).toBe(12345678);
    expect(() => parseNumericOption(retries, '1.5')).toThrow('--retries: expected an integer >= 0, got 1.5');
    expect(() => parseNumericOption(retries, '1e300')).toThrow('--retries: expected an integer >= 0, got 1e300');
    expect(() => parseNumericOption({ flag: '--n', min: 1, max: 9, integer: true }, '10')).toThrow(
      /^--n: expected an integer from 1 to 9, got 10$/,
    );
  });
});

describe('every command line catches one class', () => {
  it('a numeric refusal is a UsageError, and an absent option is undefined rather than refused', () => {
    expect(() => parseNumericOption(RATE, '0')).toThrow(UsageError);
    expect(parseOptionalNumeric(RATE, undefined)).toBeUndefined();
    expect(parseOptionalNumeric(RATE, '5')).toBe(5);
    expect(() => parseOptionalNumeric(RATE, '')).toThrow('--rate: expected a number from 1 to 100, got ""');
  });
});

describe('negative option values', () => {
  it('joins a long option with a negative number that follows it', () => {
    expect(joinNegativeValues(['broker-kill', '--rate', '-5', '--duration', '-.5', '--seed', '3'])).toEqual([
      'broker-kill',
      '--rate=-5',
      '--duration=-.5',
      '--seed',
      '3',
    ]);
  });

  it('leaves short options, non-numbers, "--flag=value" and everything after "--" alone', () => {
    expect(joinNegativeValues(['-h', '-5'])).toEqual(['-h', '-5']);
    expect(joinNegativeValues(['--rate', '-x'])).toEqual(['--rate', '-x']);
    expect(joinNegativeValues(['--rate=1', '-5'])).toEqual(['--rate=1', '-5']);
    expect(joinNegativeValues(['--', '--rate', '-5'])).toEqual(['--', '--rate', '-5']);
  });
});
