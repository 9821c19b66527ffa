// Stands in for a command that guards itself with interruptOnSignals: says when it is ready, and on
// the interrupt writes the reason to REPORT_FILE and exits 2 after a short cleanup. A forced exit
// (a second, distinct signal) writes nothing. Usage: node --import tsx interrupt-probe.ts REPORT_FILE
import { writeFileSync } from 'node:fs';
import { interruptOnSignals } from '../../harness/cli/process-guards.ts';

const report = process.argv[2];
if (!report) throw new Error('usage: interrupt-probe.ts REPORT_FILE');
/** Longer than SAME_INTERRUPT_MS, so a test can send a second, distinct signal during the cleanup. */
const PROBE_CLEANUP_MS = 1_500;
const signal = interruptOnSignals(() => {}, 'probe stopping');
signal.addEventListener('abort', () => {
  setTimeout(() => {
    writeFileSync(report, String(signal.reason));
    process.exit(2);
  }, PROBE_CLEANUP_MS);
});
process.stdout.write(JSON.stringify({ ready: process.pid, parent: process.ppid }) + '\n');
setInterval(() => {}, 60_000);
