import { join } from 'node:path';
import { SCENARIOS } from '../../scenarios/index.ts';
import { reapOrphansAndSay } from '../env/orphan-reaper.ts';
import { REPO_ROOT } from '../env/repo-root.ts';
import { loadTarget, UnknownTargetError } from '../target/load-target.ts';
import type { Target } from '../target/target.ts';
import { renderTable, renderVerdict } from '../report/verdict-table.ts';
import { renderCatalogueSummary } from '../report/catalogue-summary.ts';
import { INDEX_FILE, runCatalogue } from '../runner/run-catalogue.ts';
import { ensureRunsRootWritable, RunsDirUnwritableError } from '../runner/run-dir.ts';
import { runScenario } from '../runner/run-scenario.ts';
import type { RunResults } from '../runner/run-results.ts';
import { StatusLine } from '../runner/status-line.ts';
import { clusterNetworkAvailable, interruptOnSignals, rabbitMqAvailable, runMain } from './process-guards.ts';
import { checkFlaws, parseScenarioArgs, USAGE, UsageError } from './scenario-args.ts';

/** `npm run scenario <name> [-- options]`: runs one scenario and exits 0 valid, 1 invalid, 2 unknown / could not run. */
async function main(argv: readonly string[]): Promise<number> {
  let command;
  let target: Target;
  try {
    command = parseScenarioArgs(argv, SCENARIOS);
    if (command.kind === 'help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    target = await loadTarget(command.kind === 'all' ? undefined : command.target);
    if (command.kind === 'run') checkFlaws(command.flaws, target);
  } catch (err) {
    if (err instanceof UsageError || err instanceof UnknownTargetError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (command.kind === 'list') {
    process.stdout.write(listing(target) + '\n');
    return 0;
  }
  if (!rabbitMqAvailable()) return 2;
  // A cluster lives in network namespaces: without root or `ip netns` it cannot be built, and saying so beats a half-started run.
  if (command.kind === 'run' && command.cluster !== undefined && !(await clusterNetworkAvailable(command.scenario.name))) return 2;
  const runsRoot = process.env.HARNESS_RUNS_DIR ?? join(REPO_ROOT, 'runs');
  // Before anything starts: a run that cannot store its histories cannot be judged.
  ensureRunsRootWritable(runsRoot);

  const status = new StatusLine();
  const interrupt = interruptOnSignals((m) => status.log(m), 'healing faults and stopping everything this run started');
  reapOrphansAndSay(runsRoot, (m) => status.log(m));
  if (command.kind === 'all') {
    // Without root or `ip netns` the cluster scenarios cannot run here: the rest of the catalogue still can, and says what it left out.
    const clusterScenarios = SCENARIOS.filter((s) => s.cluster !== undefined);
    const canCluster = clusterScenarios.length === 0 || (await clusterNetworkAvailable(clusterScenarios.map((s) => s.name).join(', ')));
    if (!canCluster) status.log(`catalogue: leaving out ${clusterScenarios.map((s) => s.name).join(', ')} (no cluster here)`);
    const catalogue = await runCatalogue({
      scenarios: canCluster ? SCENARIOS : SCENARIOS.filter((s) => s.cluster === undefined),
      target,
      runsRoot,
      seed: command.seed,
      ...(command.rate !== undefined ? { rate: command.rate } : {}),
      ...(command.duration !== undefined ? { duration: command.duration } : {}),
      signal: interrupt,
      status,
    });
    process.stdout.write('\n' + renderCatalogueSummary(catalogue.cases));
    process.stdout.write(
      `junit: ${join(catalogue.dir, 'junit.xml')}\nsummary: ${join(catalogue.dir, 'summary.md')}\nindex: ${join(catalogue.dir, INDEX_FILE)}\n`,
    );
    if (interrupt.aborted) return 2;
    return catalogue.ok ? 0 : 1;
  }
  const results = await runScenario({
    scenario: command.scenario,
    target,
    targetRef: command.target,
    options: {
      rate: command.rate,
      duration: command.duration,
      seed: command.seed,
      flaws: command.flaws,
      ...(command.clientRetries !== undefined ? { clientRetries: command.clientRetries } : {}),
      ...(command.afterHeal !== undefined ? { afterHeal: command.afterHeal } : {}),
      ...(command.cluster !== undefined ? { cluster: command.cluster } : {}),
    },
    runsRoot,
    keep: command.keep,
    checkDashboards: command.checkDashboards,
    ...(command.drainTimeout !== undefined ? { drainTimeoutSeconds: command.drainTimeout } : {}),
    signal: interrupt,
    status,
  });
  if (results.interrupted) process.stderr.write(`run interrupted: ${results.interrupted}\n`);
  if (results.error) process.stderr.write(`run could not complete: ${results.error}\n`);
  if (results.load) {
    const l = results.load;
    process.stdout.write(
      `load: target ${l.targetRate.toFixed(1)}/s, achieved ${l.achievedRate.toFixed(1)}/s, sent ${l.sent}, ok ${l.ok}, ` +
        `failed ${l.failed}, dropped ${l.dropped}, latency p50 ${ms(l.latencyMs.p50)} p99 ${ms(l.latencyMs.p99)}\n`,
    );
    const r = l.retries;
    if (r) {
      process.stdout.write(
        r.clientRetries === 0
          ? `client retries: off (${r.needed} orders were answered 5xx or not at all)\n`
          : `client retries: ${r.needed} orders needed a retry (${r.attempts} retry attempts): ` +
              `${r.recovered} accepted on retry, ${r.gaveUp} gave up${r.abandoned ? `, ${r.abandoned} abandoned` : ''}\n`,
      );
    }
    if (results.loadAfterHealSeconds !== undefined) process.stdout.write(`load after the last heal: ${results.loadAfterHealSeconds} s\n`);
  }
  if (!command.keep) process.stdout.write(renderVerdict(results.checks, results.valid, results.exitCode) + '\n');
  process.stdout.write(`${timeToVerdict(results)}\n`);
  process.stdout.write(`results: ${join(results.runDir, 'results.json')}\n`);
  return results.exitCode;
}

/** Where the wall time went, from this process's start: its own startup, the run's phases, the rig's steps. */
function timeToVerdict(results: RunResults): string {
  const total = process.uptime();
  const phases = results.phases.reduce((sum, p) => sum + p.seconds, 0);
  const steps = results.rigSteps ?? [];
  const setupSteps = steps.filter((s) => s.name !== 'teardown');
  const teardown = steps.find((s) => s.name === 'teardown')?.seconds ?? 0;
  const startup = total - phases - teardown;
  const parts = results.phases.map((p) =>
    p.name === 'setup' && setupSteps.length
      ? `setup ${p.seconds} (${setupSteps.map((s) => `${s.name} ${s.seconds}`).join(', ')})`
      : `${p.name} ${p.seconds}`,
  );
  const how = results.cluster
    ? `the cluster formed in ${results.cluster.formationSeconds} s, then the proxies started`
    : 'broker and proxy start side by side';
  return `time to verdict ${total.toFixed(1)} s: startup ${startup.toFixed(1)}, ${parts.join(', ')}, teardown ${teardown} (${how})`;
}

function ms(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(1)} ms`;
}

function listing(target: Target): string {
  const scenarios = renderTable({
    columns: ['scenario', 'default rate', 'default duration', 'catches', 'proves'],
    rows: SCENARIOS.map((s) => [s.name, `${s.defaults.rate}/s`, `${s.defaults.duration}s`, s.catches.join(', ') || '-', s.proves]),
  });
  const flaws = renderTable({
    columns: ['flaw', 'what it breaks'],
    rows: Object.entries(target.flaws).map(([name, flaw]) => [name, flaw.description]),
  });
  return (
    `scenarios (catches: flaws of the reference target):\n${scenarios}\n\n` +
    `target ${target.name}: ${target.description}\nflaws (--flaw NAME):\n${flaws}`
  );
}

/** One line, not a stack: which runs directory and what to do (also for runs/<scenario>/ owned by someone else). */
function refuseUnwritableRuns(err: unknown): number {
  if (!(err instanceof RunsDirUnwritableError)) throw err;
  process.stderr.write(`${err.message}\n`);
  return 2;
}

runMain(() => main(process.argv.slice(2)).catch(refuseUnwritableRuns));
