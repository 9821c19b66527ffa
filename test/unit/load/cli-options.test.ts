import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EndpointsNotFoundError, parseLoadArgs, readApiUrl } from '../../../load/cli-options.ts';
import { UsageError } from '../../../load/usage-error.ts';

describe('parseLoadArgs', () => {
  it('defaults', () => {
    expect(parseLoadArgs([])).toEqual({ profile: 'smoke', seed: 1, json: false, help: false });
  });

  it('reads every flag', () => {
    expect(
      parseLoadArgs([
        '--rate',
        '300',
        '--duration',
        '2.5',
        '--profile',
        'spike',
        '--url',
        'http://127.0.0.1:9',
        '--max-in-flight',
        '8',
        '--seed',
        '0',
        '--json',
      ]),
    ).toEqual({ profile: 'spike', rate: 300, duration: 2.5, url: 'http://127.0.0.1:9', maxInFlight: 8, seed: 0, json: true, help: false });
  });

  it.each([
    [['--rate', 'fast'], /--rate: expected an integer >= 1, got "fast"/],
    [['--rate', '0'], /--rate: expected an integer >= 1/],
    [['--duration', '0.2'], /--duration: expected a number >= 1, got 0.2$/],
    [['--rate', '-5'], /^--rate: expected an integer >= 1, got -5$/],
    [['--duration', '-1.5'], /^--duration: expected a number >= 1, got -1.5$/],
    [['--max-in-flight', '-2'], /^--max-in-flight: expected an integer >= 1, got -2$/],
    [['--seed', '-1'], /^--seed: expected an integer >= 0, got -1$/],
    [['--client-retries', '21'], /^--client-retries: expected an integer from 0 to 20, got 21$/],
    [['--rate', '1e400'], /^--rate: expected an integer >= 1, got "1e400"$/],
    [['--url', 'localhost:3000'], /--url: expected an http\(s\) URL/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /positional/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseLoadArgs(argv)).toThrow(UsageError);
    expect(() => parseLoadArgs(argv)).toThrow(message);
  });

  it('reads a negative number after a flag as its value, not as an ambiguous option', () => {
    expect(() => parseLoadArgs(['--rate', '-5', '--json'])).not.toThrow(/ambiguous/);
    // A string option given a negative number whose range allows it is not refused at all.
    expect(parseLoadArgs(['--profile', '-1']).profile).toBe('-1');
  });
});

describe('readApiUrl', () => {
  it('reads apiUrl from runs/latest/endpoints.json, or says clearly what is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'load-cli-'));
    try {
      expect(() => readApiUrl(dir)).toThrow(EndpointsNotFoundError);
      expect(() => readApiUrl(dir)).toThrow(/runs\/latest\/endpoints\.json does not exist: .* --url/);
      mkdirSync(join(dir, 'runs', 'latest'), { recursive: true });
      writeFileSync(join(dir, 'runs', 'latest', 'endpoints.json'), '{"amqpUrl":"amqp://x"}');
      expect(() => readApiUrl(dir)).toThrow(/expected a string field "apiUrl"/);
      writeFileSync(join(dir, 'runs', 'latest', 'endpoints.json'), '{"apiUrl":"http://127.0.0.1:4321"}');
      expect(readApiUrl(dir)).toBe('http://127.0.0.1:4321');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
