import { describe, expect, it } from 'vitest';
import { parseScenarioArgs, UsageError } from '../../../harness/cli/scenario-args.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';

const parse = (...argv: string[]) => parseScenarioArgs(argv, SCENARIOS);

describe('scenario command line', () => {
  it('takes a scenario with its defaults', () => {
    const command = parse('broker-restart');
    expect(command).toMatchObject({ kind: 'run', rate: 100, duration: 30, flaws: [], seed: 1, keep: false, checkDashboards: false });
  });

  it('takes every option', () => {
    const command = parse('broker-kill', '--rate', '200', '--duration', '12.5', '--flaw', 'no-confirms,transient', '--flaw', 'auto-ack', '--seed', '7', '--keep', '--drain-timeout', '5');
    expect(command).toMatchObject({ kind: 'run', rate: 200, duration: 12.5, flaws: ['no-confirms', 'transient', 'auto-ack'], seed: 7, keep: true, drainTimeout: 5 });
  });

  it('refuses an unknown scenario, listing the valid ones', () => {
    expect(() => parse('nope')).toThrow(UsageError);
    expect(() => parse('nope')).toThrow(/unknown scenario "nope": expected one of broker-restart, broker-kill/);
  });

  it('refuses an unknown flaw, listing the valid ones', () => {
    expect(() => parse('broker-kill', '--flaw', 'sloppy')).toThrow(/unknown flaw "sloppy": expected one of .*no-confirms/);
  });

  it.each([
    [['broker-kill', '--rate', 'fast'], /--rate: expected a number > 0, got "fast"/],
    [['broker-kill', '--rate=-5'], /--rate: expected a number > 0/],
    [['broker-kill', '--duration', '0'], /--duration: expected a number > 0/],
    [['broker-kill', '--seed', '1.5'], /--seed: expected an integer >= 0/],
    [['broker-kill', '--bogus'], /Unknown option '--bogus'/],
    [[], /expected a scenario name: one of broker-restart/],
    [['broker-kill', 'broker-restart'], /expected one scenario name/],
  ])('refuses %j', (argv, message) => {
    expect(() => parse(...argv)).toThrow(message);
  });

  it('understands --list and --help', () => {
    expect(parse('--list')).toEqual({ kind: 'list' });
    expect(parse('--help')).toEqual({ kind: 'help' });
  });
});
