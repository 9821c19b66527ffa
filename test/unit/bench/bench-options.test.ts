import { describe, expect, it } from 'vitest';
import { BENCH_SETTINGS, DEFAULT_BENCH_OPTIONS, parseBenchArgs } from '../../../bench/bench-options.ts';
import { UsageError } from '../../../load/usage-error.ts';

describe('parseBenchArgs', () => {
  it('defaults', () => {
    expect(parseBenchArgs([])).toEqual(DEFAULT_BENCH_OPTIONS);
    expect(DEFAULT_BENCH_OPTIONS).toMatchObject({
      maxBacklogSeconds: 1,
      warmupSeconds: 5,
      startRate: 100,
      stepSeconds: 15,
      p99Ms: 500,
      maxSteps: 8,
      searchSeconds: 300,
      confirmWindow: 500,
      proxyBaseline: true,
      settings: BENCH_SETTINGS,
      throughProxy: false,
    });
  });

  it('refuses settings that are not a JSON object', () => {
    expect(() => parseBenchArgs(['--settings', '{instances'])).toThrow(/--settings: expected a JSON object/);
    expect(() => parseBenchArgs(['--settings', '[1]'])).toThrow(UsageError);
  });

  it('reads every flag', () => {
    const argv = [
      '--start-rate',
      '50',
      '--max-rate',
      '800',
      '--step-seconds',
      '7.5',
      '--p99-ms',
      '250',
      '--max-backlog-seconds',
      '2.5',
      '--max-steps',
      '4',
      '--search-seconds',
      '120',
    ];
    argv.push(
      '--tolerance',
      '0.05',
      '--baseline-seconds',
      '3',
      '--window',
      '100',
      '--drain-seconds',
      '20',
      '--warmup-seconds',
      '0',
      '--no-proxy-baseline',
      '--seed',
      '0',
      '--settings',
      '{"instances":{"payments":3}}',
      '--through-proxy',
    );
    expect(parseBenchArgs(argv)).toEqual({
      startRate: 50,
      maxRate: 800,
      stepSeconds: 7.5,
      p99Ms: 250,
      maxBacklogSeconds: 2.5,
      maxSteps: 4,
      searchSeconds: 120,
      tolerance: 0.05,
      baselineSeconds: 3,
      confirmWindow: 100,
      drainSeconds: 20,
      warmupSeconds: 0,
      proxyBaseline: false,
      settings: { instances: { payments: 3 } },
      throughProxy: true,
      seed: 0,
      help: false,
    });
  });

  it.each([
    [['--max-rate', 'lots'], /--max-rate: expected an integer >= 1, got "lots"/],
    [['--start-rate', '2.5'], /--start-rate: expected an integer >= 1/],
    [['--step-seconds', '0'], /--step-seconds: expected a number >= 1, got 0$/],
    [['--p99-ms', ''], /--p99-ms: expected a number >= 1, got ""/],
    [['--tolerance', '2'], /--tolerance: expected a number from 0.01 to 1, got 2$/],
    [['--start-rate', '-5'], /^--start-rate: expected an integer >= 1, got -5$/],
    [['--warmup-seconds', '-.5'], /^--warmup-seconds: expected a number >= 0, got -.5$/],
    [['--seed=-1'], /^--seed: expected an integer >= 0, got -1$/],
    [['--window', '0'], /--window: expected an integer >= 1/],
    [['--start-rate', '500', '--max-rate', '400'], /--start-rate \(500\) must not exceed --max-rate \(400\)/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /positional/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });

  it('reads a negative number after a flag as its value, so the refusal names the flag instead of calling it ambiguous', () => {
    expect(() => parseBenchArgs(['--max-steps', '-3'])).not.toThrow(/ambiguous/);
    expect(() => parseBenchArgs(['--max-steps', '-3'])).toThrow('--max-steps: expected an integer >= 1, got -3');
  });

  it('--help', () => {
    expect(parseBenchArgs(['--help']).help).toBe(true);
  });
});
