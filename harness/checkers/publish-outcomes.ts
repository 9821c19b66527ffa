import type { HistoryEvent, Outcome } from '../../instrument/history-event.ts';
import { historyIndex, type HistoryIndex } from '../history/history-index.ts';
import type { DeclaredTopology } from '../target/target.ts';
import { PairLists } from './pair-map.ts';
import { routesOf } from './routes.ts';

export interface PublishOutcome {
  id: string;
  exchange: string;
  queues: readonly string[];
  outcome?: Outcome;
}

/**
 * Every publish attempt with the queues it routes to and its outcome (`undefined` while no
 * `publish-result` followed, e.g. the publisher died). Results pair with their process's
 * attempts of the same id in order. Paired once per history: the acknowledgements checker
 * (copies per queue, what the broker confirmed) and the intent deaths (confirmed copies) read it.
 */
export function publishOutcomes(events: readonly HistoryEvent[], topology: DeclaredTopology): readonly PublishOutcome[] {
  return historyIndex(events).derived('publish-outcomes', (index) => pairPublishes(index, topology));
}

function pairPublishes(index: HistoryIndex, topology: DeclaredTopology): PublishOutcome[] {
  const routes = routesOf(topology);
  const all: PublishOutcome[] = [];
  /** proc -> id -> attempts still waiting for their result, oldest first. */
  const pending = new PairLists<PublishOutcome>();
  index.forEachOfKinds(['publish-attempt', 'publish-result'], (e) => {
    if (e.kind === 'publish-attempt') {
      const attempt: PublishOutcome = { id: e.id, exchange: e.exchange, queues: routes(e.exchange, e.routingKey), outcome: undefined };
      all.push(attempt);
      pending.push(e.proc, e.id, attempt);
    } else if (e.kind === 'publish-result') {
      const attempt = pending.shift(e.proc, e.id);
      if (attempt) attempt.outcome = e.outcome;
    }
  });
  return all;
}
