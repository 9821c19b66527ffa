import type { Fault } from '../fault.ts';
import { describeSide, proxiesOf, requireNonNegative, type ProxyTarget, sideTraits } from './proxy-sides.ts';

export interface ConnectionCutOptions extends ProxyTarget {
  /**
   * How long the link drops everything before the connections are torn down (default 1000 ms).
   * A pulled cable loses what was in flight and nobody is told at once; 0 makes it a clean,
   * immediate close (which real networks rarely offer).
   */
  dropInFlightMs?: number;
}

const DEFAULT_DROP_IN_FLIGHT_MS = 1_000;
const TOXIC_NAME = 'connection-cut_in-flight';

/**
 * The network link goes down: for a moment everything in flight is silently dropped, then live
 * connections are closed and new ones refused until healed.
 */
export function connectionCut(options: ConnectionCutOptions = {}): Fault {
  const { side = 'both' } = options;
  const dropMs = requireNonNegative('connection-cut', 'dropInFlightMs', options.dropInFlightMs ?? DEFAULT_DROP_IN_FLIGHT_MS);
  return {
    name: 'connection-cut',
    traits: ['cuts-connections', ...sideTraits(side)],
    description: `drop everything in flight on ${describeSide(side)} for ${dropMs} ms, then close them and refuse new ones until healed`,
    async start(env) {
      const proxies = proxiesOf(env, side);
      if (dropMs > 0) {
        for (const proxy of proxies) {
          for (const stream of ['upstream', 'downstream'] as const) {
            await proxy.addToxic({ name: `${TOXIC_NAME}_${stream}`, type: 'timeout', stream, attributes: { timeout: 0 } });
          }
        }
        await new Promise((resolve) => setTimeout(resolve, dropMs));
      }
      for (const proxy of proxies) {
        await proxy.disable();
        env.log(`connection-cut: ${proxy.name} disabled`);
      }
      // Disabled proxies hold no connections; without the toxics, healing lets clean connections in.
      await removeDropToxics(proxies);
    },
    async stop(env) {
      const proxies = proxiesOf(env, side);
      await removeDropToxics(proxies);
      await Promise.all(proxies.map((proxy) => proxy.enable()));
    },
  };
}

async function removeDropToxics(proxies: ReturnType<typeof proxiesOf>): Promise<void> {
  await Promise.all(
    proxies.flatMap((proxy) => (['upstream', 'downstream'] as const).map((stream) => proxy.removeToxic(`${TOXIC_NAME}_${stream}`))),
  );
}
