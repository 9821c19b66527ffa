import amqp from 'amqplib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { StartedRabbitNode } from '../../harness/env/rabbitmq-node.ts';
import { StartedTargetProcess } from '../../harness/target/target-process.ts';
import { referenceProcessSpec } from './reference-system.ts';
import type { SystemProcessConfigInput } from '../../system/config.ts';
import { QUEUES } from '../../system/amqp/topology.ts';
import { tempDir } from './temp-dir.ts';

export interface ApiAlone {
  readonly node: StartedRabbitNode;
  readonly apiUrl: string;
  readonly historyFile: string;
  /** Messages waiting in order.created: with no workers, everything the API published stays there. */
  queueDepth(): Promise<number>;
  /** `publish-attempt` lines of the API's history, all or those whose line also contains `filter`. */
  publishAttempts(filter?: string): number;
}

/**
 * The API alone, no workers, on a private broker node started for the test file (before all its
 * tests, stopped after them): whatever it publishes stays in the queue where a test can count it.
 */
export function apiAlone(name: string, config: Partial<SystemProcessConfigInput> = {}): ApiAlone {
  const dir = tempDir(name);
  const historyFile = join(dir.path, 'history', 'api-1.jsonl');
  let node: StartedRabbitNode | undefined;
  let api: StartedTargetProcess | undefined;
  beforeAll(async () => {
    node = await StartedRabbitNode.start({ dir: join(dir.path, 'broker') });
    api = await StartedTargetProcess.start(
      referenceProcessSpec({
        role: 'api',
        instance: 'api-1',
        publishUrl: node.amqpUrl(),
        consumeUrl: node.amqpUrl(),
        dataDir: join(dir.path, 'data'),
        historyFile,
        ...config,
      }),
      join(dir.path, 'logs', 'api-1.log'),
    );
  });
  afterAll(async () => {
    await api?.dispose();
    await node?.dispose();
    dir.remove();
  });
  return {
    get node() {
      return node!;
    },
    get apiUrl() {
      return `http://127.0.0.1:${api!.ready!.httpPort}`;
    },
    historyFile,
    async queueDepth() {
      const connection = await amqp.connect(node!.amqpUrl());
      try {
        return (await (await connection.createChannel()).checkQueue(QUEUES.orderCreated)).messageCount;
      } finally {
        await connection.close();
      }
    },
    publishAttempts(filter) {
      return readFileSync(historyFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"kind":"publish-attempt"') && (filter === undefined || l.includes(filter))).length;
    },
  };
}
