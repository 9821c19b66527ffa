import { describe, expect, it } from 'vitest';
import { chaosMixSchedule } from '../../../chaos/chaos-mix.ts';
import { seededRandom } from '../../../load/seeded-random.ts';
import chaosMix from '../../../scenarios/chaos-mix.ts';

const describeSchedule = (seed: number, duration = 60) =>
  chaosMix
    .faults({ seed, duration, rate: 100, flaws: [] })
    .map((f) => ({ at: f.at, duration: f.duration, name: f.fault.name, description: f.fault.description }));

describe('chaos-mix schedule', () => {
  it('is the same schedule twice for the same seed (a failing mix can be replayed)', () => {
    expect(describeSchedule(7)).toEqual(describeSchedule(7));
    expect(describeSchedule(7).length).toBeGreaterThan(2);
  });

  it('differs between seeds', () => {
    const schedules = [1, 2, 3, 4, 5].map((seed) => JSON.stringify(describeSchedule(seed)));
    expect(new Set(schedules).size).toBeGreaterThan(1);
  });

  it('fits the run, with faults following each other and quiet gaps between them', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const schedule = chaosMixSchedule(seededRandom(seed), { durationSeconds: 60 });
      expect(schedule[0]!.at).toBeGreaterThanOrEqual(3);
      for (const [k, f] of schedule.entries()) {
        expect(f.at + f.duration).toBeLessThanOrEqual(57);
        if (k > 0) expect(f.at).toBeGreaterThan(schedule[k - 1]!.at + schedule[k - 1]!.duration);
      }
    }
  });

  it('draws from the whole catalogue over many seeds', () => {
    const names = new Set<string>();
    for (let seed = 0; seed < 200; seed++)
      for (const f of chaosMixSchedule(seededRandom(seed), { durationSeconds: 60 })) names.add(f.fault.name);
    expect([...names].sort()).toEqual(
      [
        'api-crash',
        'bandwidth',
        'blackhole',
        'broker-kill',
        'broker-restart',
        'connection-cut',
        'consumer-crash',
        'consumer-freeze',
        'disk-alarm',
        'latency',
        'memory-alarm',
        'reset-peer',
        'slicer',
      ].sort(),
    );
  });

  it('adds the cluster faults to the catalogue only when the run owns a cluster', () => {
    const drawn = (cluster: boolean) => {
      const names = new Set<string>();
      for (let seed = 0; seed < 200; seed++)
        for (const f of chaosMixSchedule(seededRandom(seed), { durationSeconds: 60, cluster })) names.add(f.fault.name);
      return names;
    };
    const clusterFaults = ['leader-kill', 'node-kill', 'node-stop', 'partition-minority'];
    expect(clusterFaults.filter((n) => drawn(true).has(n))).toEqual(clusterFaults);
    expect(clusterFaults.filter((n) => drawn(false).has(n))).toEqual([]);
    // The scenario passes --cluster on: same seed, a schedule drawing from the larger catalogue.
    const withCluster = chaosMix.faults({ seed: 3, duration: 300, rate: 100, flaws: [], cluster: 3 }).map((f) => f.fault.name);
    const without = chaosMix.faults({ seed: 3, duration: 300, rate: 100, flaws: [] }).map((f) => f.fault.name);
    expect(withCluster).not.toEqual(without);
  });

  it('is empty when the run is too short for a fault', () => {
    expect(chaosMixSchedule(seededRandom(1), { durationSeconds: 8 })).toEqual([]);
  });
});
