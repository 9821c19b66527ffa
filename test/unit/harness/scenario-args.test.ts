import { describe, expect, it } from 'vitest';
import {
  checkFlaws,
  DRAIN_TIMEOUT_OPTION,
  DURATION_OPTION,
  parseScenarioArgs,
  RATE_OPTION,
  UsageError,
} from '../../../harness/cli/scenario-args.ts';
import reference from '../../../system/target.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';

const parse = (...argv: string[]) => parseScenarioArgs(argv, SCENARIOS);

describe('scenario command line', () => {
  it('takes a scenario with its defaults', () => {
    const command = parse('broker-restart');
    expect(command).toMatchObject({ kind: 'run', rate: 100, duration: 12, flaws: [], seed: 1, keep: false, checkDashboards: false });
  });

  it('runs the cluster scenarios on the cluster they need, and --cluster on any scenario', () => {
    expect(parse('node-kill')).toMatchObject({ kind: 'run', cluster: 3, rate: 50 });
    expect(parse('node-kill', '--cluster', '5')).toMatchObject({ cluster: 5 });
    expect(parse('chaos-mix', '--cluster', '3')).toMatchObject({ cluster: 3 });
    expect(parse('broker-kill')).not.toHaveProperty('cluster');
    expect(() => parse('broker-kill', '--cluster', '2')).toThrow(/--cluster.*3/);
    expect(() => parse('broker-kill', '--cluster', '9')).toThrow(/--cluster/);
    expect(() => parse('broker-kill', '--cluster', 'three')).toThrow(UsageError);
  });

  it('takes every option', () => {
    const command = parse(
      'broker-kill',
      '--rate',
      '200',
      '--duration',
      '12.5',
      '--flaw',
      'no-confirms,transient',
      '--flaw',
      'auto-ack',
      '--seed',
      '7',
      '--keep',
      '--drain-timeout',
      '5',
    );
    expect(command).toMatchObject({
      kind: 'run',
      rate: 200,
      duration: 12.5,
      flaws: ['no-confirms', 'transient', 'auto-ack'],
      seed: 7,
      keep: true,
      drainTimeout: 5,
    });
  });

  it('refuses an unknown scenario, listing the valid ones', () => {
    expect(() => parse('nope')).toThrow(UsageError);
    expect(() => parse('nope')).toThrow(/unknown scenario "nope": expected one of broker-restart, broker-kill/);
  });

  it("refuses a flaw the chosen target does not have, listing the target's flaws", () => {
    const command = parse('broker-kill', '--flaw', 'sloppy');
    expect(command).toMatchObject({ kind: 'run', target: 'reference', flaws: ['sloppy'] });
    expect(() => checkFlaws(['no-confirms', 'sloppy'], reference)).toThrow(
      /unknown flaw "sloppy" for target reference: expected one of .*no-confirms/,
    );
    expect(() => checkFlaws(['no-confirms'], reference)).not.toThrow();
    expect(() => checkFlaws(['no-confirms'], { name: 'plain', flaws: { 'fire-and-forget': { description: 'x' } } })).toThrow(
      /expected one of fire-and-forget$/,
    );
  });

  it('takes --target, by name or directory, defaulting to the reference system', () => {
    expect(parse('broker-kill', '--target', 'examples/plain-orders')).toMatchObject({ kind: 'run', target: 'examples/plain-orders' });
    expect(parse('--list', '--target', 'examples/plain-orders')).toEqual({ kind: 'list', target: 'examples/plain-orders' });
    expect(() => parse('--all', '--target', 'examples/plain-orders')).toThrow(/--all runs the catalogue against the reference target/);
  });

  it.each([
    [['broker-kill', '--rate', 'fast'], /--rate: expected a number from 1 to 5000, got "fast"/],
    [['broker-kill', '--rate=-5'], /--rate: expected a number from 1 to 5000, got -5$/],
    [['broker-kill', '--duration', '0'], /--duration: expected a number from 1 to 3600, got 0$/],
    [['broker-kill', '--seed', '1.5'], /--seed: expected an integer from 0 to 4294967295, got 1.5$/],
    [['broker-kill', '--bogus'], /Unknown option '--bogus'/],
    [[], /expected a scenario name: one of broker-restart/],
    [['broker-kill', 'broker-restart'], /expected one scenario name/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });

  it('understands --list and --help', () => {
    expect(parse('--list')).toEqual({ kind: 'list', target: 'reference' });
    expect(parse('--help')).toEqual({ kind: 'help' });
  });
});

describe('scenario command line bounds', () => {
  it.each([
    // Negative numbers, in both spellings: parseArgs alone calls `--rate -5` "ambiguous".
    [['broker-kill', '--rate', '-5'], /^--rate: expected a number from 1 to 5000, got -5$/],
    [['broker-kill', '--duration', '-1.5'], /^--duration: expected a number from 1 to 3600, got -1.5$/],
    [['broker-kill', '--drain-timeout', '-3'], /^--drain-timeout: expected a number from 1 to 3600, got -3$/],
    [['broker-kill', '--seed', '-1'], /^--seed: expected an integer from 0 to 4294967295, got -1$/],
    // Above the maximum: the message says why the bound is there.
    [
      ['broker-kill', '--rate', '1000000'],
      /^--rate: expected a number from 1 to 5000, got 1000000: the embedded generator and a 2-core machine cannot offer more; use k6/,
    ],
    [['broker-kill', '--duration', '99999999'], /^--duration: expected a number from 1 to 3600, got 99999999: longer runs are soaks/],
    [
      ['broker-kill', '--drain-timeout', '99999999'],
      /^--drain-timeout: expected a number from 1 to 3600, got 99999999: a system that has not caught up within an hour/,
    ],
    [['broker-kill', '--seed', '4294967296'], /^--seed: expected an integer from 0 to 4294967295, got 4294967296: only the low 32 bits/],
    // Not decimal numbers at all.
    [['broker-kill', '--rate', '0x10'], /^--rate: expected a number from 1 to 5000, got "0x10"$/],
    [['broker-kill', '--duration', 'Infinity'], /^--duration: expected a number from 1 to 3600, got "Infinity"$/],
    [['--all', '--rate', '6000'], /^--rate: expected a number from 1 to 5000, got 6000:/],
  ])('refuses %j, naming the range', (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });

  it('takes the bounds themselves', () => {
    expect(parse('broker-kill', '--rate', '5000', '--duration', '3600', '--drain-timeout', '3600', '--seed', '4294967295')).toMatchObject({
      rate: 5000,
      duration: 3600,
      drainTimeout: 3600,
      seed: 4294967295,
    });
    expect(parse('broker-kill', '--rate', '1', '--duration', '1', '--drain-timeout', '1', '--seed', '0')).toMatchObject({
      rate: 1,
      duration: 1,
      drainTimeout: 1,
      seed: 0,
    });
  });

  it('keeps the watchdog within what setTimeout can hold, even with every bound at its maximum', () => {
    // setTimeout fires at once for delays above 2^31 - 1 ms: the run would end as "exceeded its time budget".
    const SET_TIMEOUT_MAX_MS = 2 ** 31 - 1;
    const maxDuration = DURATION_OPTION.max ?? Infinity;
    const maxDrain = DRAIN_TIMEOUT_OPTION.max ?? Infinity;
    const generousSlackSeconds = 3_600;
    expect((maxDuration + maxDrain + generousSlackSeconds) * 1000).toBeLessThan(SET_TIMEOUT_MAX_MS);
    expect(RATE_OPTION.max).toBe(5000);
  });
});
