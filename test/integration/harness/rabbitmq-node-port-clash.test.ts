import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerStartError, StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('port-clash');
afterAll(() => dir.remove());

describe('a private RabbitMQ node whose port was taken after it was chosen', () => {
  it('fails its boot saying so (so callers start it again on fresh ports), and stops what it started', { timeout: 120_000 }, async () => {
    const node = await StartedRabbitNode.prepare({ dir: join(dir.path, 'broker') });
    // Someone takes the node's Prometheus port between its choice and the VM binding it.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(node.prometheusPort, '127.0.0.1', resolve));
    try {
      const error = await node.start().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(BrokerStartError);
      expect((error as BrokerStartError).portTaken).toBe(true);
      expect(node.running).toBe(false);
    } finally {
      squatter.close();
      await node.dispose();
    }
  });
});
