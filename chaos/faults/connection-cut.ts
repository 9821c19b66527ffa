import type { Fault } from '../fault.ts';
import { describeSide, proxiesOf, type ProxyTarget } from './proxy-sides.ts';

export type ConnectionCutOptions = ProxyTarget;

/** The network link goes down loudly: live connections are closed, new ones refused; healing lets them in again. */
export function connectionCut(options: ConnectionCutOptions = {}): Fault {
  const { side = 'both' } = options;
  return {
    name: 'connection-cut',
    description: `close ${describeSide(side)} to the broker and refuse new ones until healed`,
    async start(env) {
      for (const proxy of proxiesOf(env, side)) {
        await proxy.disable();
        env.log(`connection-cut: ${proxy.name} disabled`);
      }
    },
    async stop(env) {
      await Promise.all(proxiesOf(env, side).map((proxy) => proxy.enable()));
    },
  };
}
