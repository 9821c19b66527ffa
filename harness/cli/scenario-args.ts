import { parseArgs } from 'node:util';
import { FLAW_NAMES, isFlawName, type FlawName } from '../../system/flaws.ts';
import type { ScenarioDefinition } from '../../scenarios/define-scenario.ts';

export const USAGE = `usage: npm run scenario <name> [-- options]
       npm run scenario -- --list
       npm run scenario -- --all

options:
  --rate N            target orders per second (default: the scenario's)
  --duration S        seconds of load (default: the scenario's)
  --flaw NAME         start the system with a named defect (repeatable, or comma-separated)
  --seed N            seed for order bodies and random fault schedules (default: 1)
  --drain-timeout S   seconds to wait for every accepted order to be accounted for (default: 30)
  --keep              leave the system, broker and Prometheus running after the verdict, until Ctrl-C
  --check-dashboards  also run every Grafana dashboard query against the run's Prometheus (fails on errors or empty panels)
  --list              list scenarios and flaws
  --all               CI gate: every scenario against the reference system and each flaw it claims to catch
  --help              this text`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'all'; seed: number; rate?: number; duration?: number }
  | { kind: 'run'; scenario: ScenarioDefinition; rate: number; duration: number; flaws: FlawName[]; seed: number; keep: boolean; checkDashboards: boolean; drainTimeout?: number };

export function parseScenarioArgs(argv: readonly string[], scenarios: readonly ScenarioDefinition[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        rate: { type: 'string' },
        duration: { type: 'string' },
        flaw: { type: 'string', multiple: true },
        seed: { type: 'string' },
        'drain-timeout': { type: 'string' },
        keep: { type: 'boolean' },
        'check-dashboards': { type: 'boolean' },
        list: { type: 'boolean' },
        all: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.list) return { kind: 'list' };
  const seed = values.seed === undefined ? 1 : positiveInt('--seed', values.seed, 0);
  const rate = values.rate === undefined ? undefined : positiveNumber('--rate', values.rate);
  const duration = values.duration === undefined ? undefined : positiveNumber('--duration', values.duration);
  if (values.all) {
    if (positionals.length) throw new UsageError(`--all runs every scenario; drop "${positionals.join(' ')}"`);
    return { kind: 'all', seed, ...(rate !== undefined ? { rate } : {}), ...(duration !== undefined ? { duration } : {}) };
  }
  const names = scenarios.map((s) => s.name);
  if (positionals.length === 0) throw new UsageError(`expected a scenario name: one of ${names.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`expected one scenario name, got ${positionals.join(' ')}`);
  const scenario = scenarios.find((s) => s.name === positionals[0]);
  if (!scenario) throw new UsageError(`unknown scenario "${positionals[0]}": expected one of ${names.join(', ')}`);
  const flaws = (values.flaw ?? []).flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean);
  for (const flaw of flaws) if (!isFlawName(flaw)) throw new UsageError(`unknown flaw "${flaw}": expected one of ${FLAW_NAMES.join(', ')}`);
  const drainTimeout = values['drain-timeout'] === undefined ? undefined : positiveNumber('--drain-timeout', values['drain-timeout']);
  return {
    kind: 'run',
    scenario,
    rate: rate ?? scenario.defaults.rate,
    duration: duration ?? scenario.defaults.duration,
    flaws: [...new Set(flaws)] as FlawName[],
    seed,
    keep: Boolean(values.keep),
    checkDashboards: Boolean(values['check-dashboards']),
    ...(drainTimeout !== undefined ? { drainTimeout } : {}),
  };
}

function positiveNumber(flag: string, raw: string): number {
  const n = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag}: expected a number > 0, got "${raw}"`);
  return n;
}

function positiveInt(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: expected an integer >= ${min}, got "${raw}"`);
  return n;
}
