import type { Fault } from '../fault.ts';
import { killAndRestart } from './kill-and-restart.ts';

/** The HTTP edge crashes: SIGKILL the API mid-request; healing restarts it on the same port. */
export function apiCrash(): Fault {
  return killAndRestart({
    name: 'api-crash',
    description: 'SIGKILL the API process (requests in flight get no answer), then restart it on the same port',
    role: 'api',
  });
}
