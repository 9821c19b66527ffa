import brokerKill from './broker-kill.ts';
import brokerRestart from './broker-restart.ts';
import type { ScenarioDefinition } from './define-scenario.ts';

/** Every scenario the CLI knows, in the order `--list` shows them and `--all` runs them. */
export const SCENARIOS: readonly ScenarioDefinition[] = [brokerRestart, brokerKill];

export function findScenario(name: string): ScenarioDefinition | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
