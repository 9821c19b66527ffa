import { describe, expect, it } from 'vitest';
import { parseScenarioArgs, USAGE, UsageError } from '../../../harness/cli/scenario-args.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';

const parse = (...argv: string[]) => parseScenarioArgs(argv, SCENARIOS);

describe('--client-retries', () => {
  it('is absent unless given (the load then retries 5 times)', () => {
    expect(parse('broker-kill')).not.toHaveProperty('clientRetries');
  });

  it.each([
    ['0', 0],
    ['3', 3],
    ['20', 20],
  ])('takes %s', (raw, expected) => {
    expect(parse('broker-kill', '--client-retries', raw)).toMatchObject({ kind: 'run', clientRetries: expected });
  });

  it.each([
    ['21', /--client-retries: expected an integer from 0 to 20, got 21: the backoff doubles/],
    ['-1', /--client-retries: expected an integer from 0 to 20, got -1$/],
    ['2.5', /--client-retries: expected an integer from 0 to 20, got 2.5$/],
    ['many', /--client-retries: expected an integer from 0 to 20, got "many"/],
  ])('refuses %s naming the range', (raw, message) => {
    expect(() => parse('broker-kill', '--client-retries', raw)).toThrow(UsageError);
    expect(() => parse('broker-kill', '--client-retries', raw)).toThrow(message);
  });

  it('is in the usage text', () => {
    expect(USAGE).toMatch(/--client-retries N .*default: 5; 0: off/);
  });
});
