// Stands in for a harness: starts a process group under a lifeline, records it like a run does,
// says so on stdout, then waits to be killed. Usage: node --import tsx lifeline-holder.ts PROCESSES_FILE
import { recordChildren } from '../../harness/env/child-registry.ts';
import { spawnWithLifeline } from '../../harness/env/lifeline.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: lifeline-holder.ts PROCESSES_FILE');
recordChildren(file);
// A leader with a child of its own in its group, like the Erlang VM and its port programs.
const leader = spawnWithLifeline('/bin/sh', ['-c', 'sleep 300 & wait'], { stdio: 'ignore', label: 'sleepers' });
process.stdout.write(JSON.stringify({ leader: leader.pid }) + '\n');
setInterval(() => {}, 60_000);
