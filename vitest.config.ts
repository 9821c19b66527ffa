import { defineConfig } from 'vitest/config';

// Integration and scenario suites start real brokers (about 5 s each) and real OS processes;
// running files in parallel on a 2-core machine makes timing-sensitive faults flaky, so files run one at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    // A scenario test runs a whole scenario (setup, load, faults, drain): minutes on a loaded 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
