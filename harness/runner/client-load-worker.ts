import { parentPort, workerData } from 'node:worker_threads';
import { startClientOrderLoad } from '../../load/client-order-load.ts';
import { HistoryWriter } from '../../instrument/history-writer.ts';
import type { ClientLoadOptions, FromLoadWorker, ToLoadWorker } from './client-load.ts';

const STATS_EVERY_MS = 250;

/**
 * The client load (load/client-order-load.ts) in this thread, every attempt of every order written to the
 * client's history as an `order-request` event with its intent and attempt number.
 */
function runClientLoad(options: ClientLoadOptions): void {
  const history = new HistoryWriter(options.historyFile, 'client');
  const load = startClientOrderLoad({ ...options, record: (record) => history.append(record) });
  const post = (message: FromLoadWorker) => parentPort!.postMessage(message);
  const postStats = () => post({ type: 'stats', stats: load.stats(), retries: load.retries() });
  const ticker = setInterval(postStats, STATS_EVERY_MS);
  parentPort!.on('message', (message: ToLoadWorker) => {
    if (message.type === 'stop') load.stop();
    else if (message.type === 'abort') load.abort();
  });
  const finish = (message: FromLoadWorker) => {
    clearInterval(ticker);
    history.close();
    postStats();
    post(message);
  };
  load.done.then(
    (summary) => finish({ type: 'done', summary }),
    (error: unknown) => finish({ type: 'failed', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
}

runClientLoad(workerData as ClientLoadOptions);
