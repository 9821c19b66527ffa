import type { Fault } from '../fault.ts';
import { isRunning, pickVictim } from './pick-victim.ts';

const API_ROLE = 'api';

/** The HTTP edge crashes: SIGKILL the API mid-request; healing restarts it on the same port. */
export function apiCrash(): Fault {
  let victim: string | undefined;
  return {
    name: 'api-crash',
    description: 'SIGKILL the API process (requests in flight get no answer), then restart it on the same port',
    async start(env) {
      const chosen = pickVictim(env, 'api-crash', API_ROLE);
      victim = chosen.instance;
      env.log(`api-crash: SIGKILL ${chosen.instance} (pid ${chosen.pid ?? '?'})`);
      await env.processes.kill(chosen.instance);
    },
    async stop(env) {
      const instance = victim;
      if (instance === undefined) return;
      if (!isRunning(env, instance)) {
        await env.processes.start(instance);
        env.log(`api-crash: ${instance} restarted`);
      }
      victim = undefined;
    },
  };
}
