import type { DeclaredTopology } from '../target/target.ts';

export type Routes = (exchange: string, routingKey: string) => readonly string[];

const memo = new WeakMap<DeclaredTopology, Routes>();

/**
 * The topology's `routesTo`, answered once per (exchange, routing key): a run has a handful of
 * distinct pairs and a million publishes, and topic matching each one again was a tenth of a
 * check's time. The declared routing is a pure function of the pair, so the answer cannot change.
 */
export function routesOf(topology: DeclaredTopology): Routes {
  let routes = memo.get(topology);
  if (!routes) {
    const byExchange = new Map<string, Map<string, readonly string[]>>();
    routes = (exchange, routingKey) => {
      let byKey = byExchange.get(exchange);
      if (!byKey) byExchange.set(exchange, (byKey = new Map()));
      let queues = byKey.get(routingKey);
      if (!queues) byKey.set(routingKey, (queues = topology.routesTo(exchange, routingKey)));
      return queues;
    };
    memo.set(topology, routes);
  }
  return routes;
}
