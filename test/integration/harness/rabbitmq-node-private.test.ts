import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { findEpmd } from '../../../harness/env/private-epmd.ts';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import { isAlive, isLoopback, listeningSockets } from '../../support/process-table.ts';
import { tempDir } from '../../support/temp-dir.ts';

// What a private node keeps to itself: its password (0600 files in a 0700 directory) and its epmd
// (its own, on loopback, gone with the node).
const dir = tempDir('rabbit-node-private');
afterAll(() => dir.remove());

const mode = (path: string) => statSync(path).mode & 0o777;

describe('a private RabbitMQ node', () => {
  it(
    'writes its password only to 0600 files in a 0700 directory, and registers with its own loopback epmd, stopped with it',
    { timeout: 120_000 },
    async () => {
      const nodeDir = join(dir.path, 'broker');
      const node = await StartedRabbitNode.start({ dir: nodeDir });
      let epmdPid: number | undefined;
      try {
        expect(mode(nodeDir)).toBe(0o700);
        const conf = join(nodeDir, 'rabbitmq.config');
        expect(readFileSync(conf, 'utf8')).toContain(node.password);
        for (const file of ['rabbitmq.config', 'enabled_plugins']) expect(mode(join(nodeDir, file)), file).toBe(0o600);

        epmdPid = node.epmdPid!;
        expect(node.epmdPort).not.toBe(4369);
        const sockets = listeningSockets(epmdPid);
        expect(sockets).toContain(`127.0.0.1:${node.epmdPort}`);
        for (const socket of sockets) expect(isLoopback(socket), `epmd listens on ${socket}`).toBe(true);
        // The node registered there, not with a machine-wide epmd.
        const { stdout } = await promisify(execFile)(findEpmd(), ['-port', String(node.epmdPort), '-names']);
        expect(stdout).toContain(`name ${node.nodeName.split('@')[0]} at port`);
      } finally {
        await node.dispose();
      }
      expect(isAlive(epmdPid!)).toBe(false);
    },
  );
});
