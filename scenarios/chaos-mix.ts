import { chaosMixSchedule } from '../chaos/chaos-mix.ts';
import { seededRandom } from '../load/seeded-random.ts';
import { defineScenario } from './define-scenario.ts';

/** Mixed into the seed so the schedule does not correlate with the order bodies drawn from the same seed. */
const SCHEDULE_SALT = 0xc4a05;

export default defineScenario({
  name: 'chaos-mix',
  proves:
    'a random sequence of faults from the whole catalogue (network, process, broker, resource alarms), ' +
    'drawn from --seed so a failure can be replayed, loses no accepted order (with --cluster, cluster faults too: ' +
    'node kills and stops, partitions, leader kills)',
  defaults: { rate: 100, duration: 60 },
  faults: ({ seed, duration, cluster }) =>
    chaosMixSchedule(seededRandom((seed ^ SCHEDULE_SALT) >>> 0), { durationSeconds: duration, cluster: cluster !== undefined }),
  checks: [],
  catches: [],
  drainTimeout: 60,
});
