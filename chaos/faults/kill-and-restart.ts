import type { Fault } from '../fault.ts';
import { isRunning, pickVictim } from './pick-victim.ts';

/**
 * A process crash: SIGKILL one instance of `role` (seeded choice, or `instance`), and on heal start
 * it again. Shared by the crashes of workers and of the API; only what is killed differs.
 */
export function killAndRestart(spec: { name: string; description: string; role: string; instance?: string }): Fault {
  let victim: string | undefined;
  return {
    name: spec.name,
    traits: ['kills-process'],
    description: spec.description,
    async start(env) {
      const chosen = pickVictim(env, spec.name, spec.role, spec.instance);
      victim = chosen.instance;
      env.log(`${spec.name}: SIGKILL ${chosen.instance} (pid ${chosen.pid ?? '?'})`);
      await env.processes.kill(chosen.instance);
    },
    async stop(env) {
      const instance = victim;
      if (instance === undefined) return;
      if (!isRunning(env, instance)) {
        await env.processes.start(instance);
        env.log(`${spec.name}: ${instance} restarted`);
      }
      victim = undefined;
    },
  };
}
