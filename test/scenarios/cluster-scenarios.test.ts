import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listNamespaces, NAME_PREFIX } from '../../chaos/cluster/private-network.ts';
import { REPO_ROOT } from '../../harness/env/repo-root.ts';
import { until } from '../support/deadlines.ts';
import { isAlive, processesMentioning, readProcessRecords } from '../support/process-table.ts';
import { runScenarioCli, spawnScenarioCli, type CliRun } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// Both sides of the cluster scenarios, each on a real three-node cluster in network namespaces:
// the reference system (quorum queues, clients failing over) keeps serving and loses nothing; its
// classic-queue and one-node-client flaws are caught. After every run, valid, invalid or
// interrupted, nothing of the cluster is left: no process, namespace or bridge.
const runs = tempDir('cluster-scenarios');
afterAll(() => runs.remove());
const RUN_TIMEOUT_MS = 400_000;
/** A classic-queue run waits out the recovery bound and a long drain: ~4 min here. */
const TEST_TIMEOUT_MS = 450_000;
const asRoot = process.getuid?.() === 0;

interface Check {
  valid: boolean | 'unknown';
  summary: string;
}

const check = (run: CliRun, name: string) => run.results!.checks[name] as unknown as Check;

/** Namespaces and bridges of ours (harness-made names) that exist now. */
async function networkLeftovers(): Promise<string[]> {
  const namespaces = (await listNamespaces()).filter((ns) => ns.startsWith(NAME_PREFIX));
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(NAME_PREFIX));
  return [...namespaces.map((ns) => `namespace ${ns}`), ...links.map((l) => `link ${l}`)];
}

/** Nothing the run started is alive (by PID and start time, and anything naming its directory), and its network is gone. */
async function expectNothingLeft(runDir: string): Promise<void> {
  const records = readProcessRecords(runDir);
  expect(
    records.some((r) => r.label.startsWith('rabbitmq')),
    'the run recorded its broker nodes',
  ).toBe(true);
  const alive = () => [
    ...records.filter((r) => isAlive(r.pid, r.startTime)).map((r) => `${r.label} (pid ${r.pid})`),
    ...processesMentioning(runDir).map((pid) => `pid ${pid} naming the run directory`),
  ];
  // The teardown has finished when the CLI exits; a lifeline may take a moment to reap.
  await until(
    'nothing of the run alive',
    async () => (alive().length === 0 && (await networkLeftovers()).length === 0) || undefined,
    15_000,
    250,
  ).catch(() => undefined);
  expect(alive()).toEqual([]);
  expect(await networkLeftovers()).toEqual([]);
}

describe.skipIf(!asRoot)('cluster scenarios (root: network namespaces)', { timeout: TEST_TIMEOUT_MS }, () => {
  it('node-kill: the reference keeps serving on two nodes, loses nothing, follows the leaders, and leaves nothing behind', async () => {
    expect(await networkLeftovers()).toEqual([]);
    const run = await runScenarioCli(['node-kill', '--check-dashboards'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const results = run.results!;
    // Every dashboard query has data, the per-node Raft panels included (only k6's are skipped).
    expect(check(run, 'dashboards').valid).toBe(true);
    expect(check(run, 'dashboards').summary).not.toMatch(/raft/i);
    expect(check(run, 'zero-loss').valid).toBe(true);
    expect(check(run, 'availability').valid).toBe(true);
    expect(check(run, 'availability').summary).toMatch(/kept serving with one node gone: node-kill \d+% of 50\/s/);
    const leaders = results.checks['quorum-leaders'] as unknown as Check & { queues: { queue: string; moves: number }[] };
    expect(leaders.valid).toBe(true);
    // The killed node led every queue at the start: each leader moved.
    expect(leaders.queues.find((q) => q.queue === 'order.created')?.moves).toBeGreaterThanOrEqual(1);
    expect(results.cluster?.nodes).toHaveLength(3);
    expect(results.cluster?.formationSeconds).toBeGreaterThan(0);
    expect(run.stdout + run.stderr).toMatch(/cluster of 3 nodes formed in [\d.]+ s/);
    expect(run.stdout).toMatch(/time to verdict [\d.]+ s: .*cluster [\d.]+/);
    await expectNothingLeft(results.runDir);
  });

  it('node-kill catches classic-in-cluster: queues on the lost node block the system', async () => {
    const run = await runScenarioCli(['node-kill', '--flaw', 'classic-in-cluster'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(check(run, 'availability').valid).toBe(false);
    expect(check(run, 'availability').summary).toMatch(/not available with one node gone/);
    await expectNothingLeft(run.results!.runDir);
  });

  it('node-kill catches single-node-client: clients that never leave the lost node', async () => {
    const run = await runScenarioCli(['node-kill', '--flaw', 'single-node-client'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(check(run, 'availability').valid).toBe(false);
    await expectNothingLeft(run.results!.runDir);
  });

  it('partition-minority: the majority keeps serving, nothing is lost, the cluster heals whole', async () => {
    const run = await runScenarioCli(['partition-minority'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(check(run, 'zero-loss').valid).toBe(true);
    expect(check(run, 'availability').valid).toBe(true);
    expect(run.stdout + run.stderr).toMatch(/partition-minority: .* see rabbit@[\d.]+ down/);
    await expectNothingLeft(run.results!.runDir);
  });

  it('partition-minority catches classic-in-cluster', async () => {
    const run = await runScenarioCli(['partition-minority', '--flaw', 'classic-in-cluster'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(check(run, 'availability').valid).toBe(false);
    await expectNothingLeft(run.results!.runDir);
  });

  it('leader-kill: the node leading the quorum queues dies, new leaders are elected, nothing is lost', async () => {
    const run = await runScenarioCli(['leader-kill'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(check(run, 'zero-loss').valid).toBe(true);
    expect(run.stdout + run.stderr).toMatch(/leader-kill: rabbit@[\d.]+ leads \d+ of \d+ quorum queues: SIGKILL/);
    expect(check(run, 'quorum-leaders').valid).toBe(true);
    await expectNothingLeft(run.results!.runDir);
  });

  it('an interrupted cluster run (Ctrl-C during the node loss) stops every node and removes its network', async () => {
    const { child, done, output } = spawnScenarioCli(['node-kill'], runs.path);
    const runDir = await until(
      'the node to be killed',
      () => (/node-kill: kill rabbit@/.test(output()) ? /^run directory: (.+)$/m.exec(output())?.[1]?.trim() : undefined),
      180_000,
      200,
    );
    expect(existsSync(join(runDir, 'endpoints.json'))).toBe(true);
    child.kill('SIGINT');
    const run = await done;
    expect(run.code, output()).toBe(2);
    await expectNothingLeft(runDir);
  });
});

// As the unprivileged user nobody (setpriv), from a root test run: a cluster needs root for its namespaces.
describe.skipIf(!asRoot)('cluster scenarios without root', () => {
  it('exit 2 naming why, before anything starts', async () => {
    const child = spawn(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        'harness/cli/scenario-main.ts',
        'node-kill',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, HARNESS_RUNS_DIR: runs.path, HOME: '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).toMatch(/node-kill runs on a cluster, which cannot be built here: .*not running as root \(uid 65534\)/);
    expect(code).toBe(2);
  });
});
