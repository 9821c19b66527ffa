import { describe, expect, it } from 'vitest';
import {
  brokerFiguresSchema,
  parseStored,
  storedRunSchema,
  StoredRunShapeError,
  targetEffectsSchema,
} from '../../../harness/checkers/run-record-schema.ts';

describe('stored run schemas', () => {
  it('reads a results.json of a run stored before targets existed, keeping fields it does not know', () => {
    const run = parseStored(
      storedRunSchema,
      { scenario: 'broker-kill', options: { rate: 100, clientRetries: 5 }, checks: {} },
      'results.json',
    );
    expect(run).toMatchObject({ scenario: 'broker-kill', system: {}, options: { rate: 100, clientRetries: 5 }, checks: {} });
    expect(run.target).toBeUndefined();
  });

  it('refuses a malformed file, naming the file, the field and what was expected', () => {
    const bad = () =>
      parseStored(
        storedRunSchema,
        { scenario: 'broker-kill', options: {}, finalRead: { queues: [], messages: -1, complete: 'yes' } },
        '/runs/x/results.json',
      );
    expect(bad).toThrow(StoredRunShapeError);
    expect(bad).toThrow(/\/runs\/x\/results\.json .*finalRead\.messages: .*finalRead\.complete: .*boolean/);
  });

  it('checks broker figures and effects', () => {
    expect(parseStored(brokerFiguresSchema, {}, 'broker-figures.json').channelSamples).toEqual([]);
    expect(() => parseStored(brokerFiguresSchema, { channelSamples: [{ t: 1 }] }, 'broker-figures.json')).toThrow(
      /channelSamples\.0\.connectionName/,
    );
    expect(() =>
      parseStored(targetEffectsSchema, { rows: [{ orderId: 'o1', kind: 'charge', count: -1 }], requiredKinds: [] }, 'effects'),
    ).toThrow(/rows\.0\.count/);
  });
});
