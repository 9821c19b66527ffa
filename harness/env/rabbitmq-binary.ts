import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { executableCandidates, isExecutable } from './find-on-path.ts';

/** Debian puts the real scripts here; /usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq user. */
const DEBIAN_BIN_DIR = '/usr/lib/rabbitmq/bin';

export class RabbitMqNotFoundError extends Error {
  constructor(looked: string[]) {
    super(
      `rabbitmq-server not found (looked at ${looked.join(', ')}). Install it (Debian/Ubuntu: sudo apt-get install -y rabbitmq-server; ` +
        `you may then stop the system service with sudo systemctl disable --now rabbitmq-server, the harness starts its own nodes) ` +
        `or point RABBITMQ_SERVER_BIN at the rabbitmq-server script of an installation.`,
    );
    this.name = 'RabbitMqNotFoundError';
  }
}

export interface RabbitMqBinaries {
  server: string;
  ctl: string;
}

/** Finds rabbitmq-server: $RABBITMQ_SERVER_BIN, then Debian's own scripts, then PATH. */
export function findRabbitMq(env: NodeJS.ProcessEnv = process.env): RabbitMqBinaries {
  // An explicit choice is honoured or refused, never silently replaced by another installation.
  if (env.RABBITMQ_SERVER_BIN) {
    const server = env.RABBITMQ_SERVER_BIN;
    const ctl = join(dirname(server), 'rabbitmqctl');
    if (isExecutable(server) && isExecutable(ctl)) return { server, ctl };
    throw new RabbitMqNotFoundError([`RABBITMQ_SERVER_BIN=${server} (with rabbitmqctl beside it)`]);
  }
  const candidates = [join(DEBIAN_BIN_DIR, 'rabbitmq-server'), ...executableCandidates('rabbitmq-server', env)];
  for (const candidate of candidates) {
    if (!isExecutable(candidate)) continue;
    const real = realpathSync(candidate);
    // The Debian wrapper (rabbitmq-script-wrapper) insists on running as the rabbitmq user; use the real script beside it.
    const server = real.endsWith('rabbitmq-script-wrapper') ? join(DEBIAN_BIN_DIR, 'rabbitmq-server') : candidate;
    const ctl = join(dirname(real.endsWith('rabbitmq-script-wrapper') ? server : real), 'rabbitmqctl');
    if (isExecutable(server) && isExecutable(ctl)) return { server, ctl };
  }
  throw new RabbitMqNotFoundError(candidates);
}
