import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { listNamespaces, StartedPrivateNetwork, type NetworkHost } from '../../../chaos/cluster/private-network.ts';

const execFileAsync = promisify(execFile);
const PORT = 7070;
const CONNECT_TIMEOUT_MS = 1_000;

/** Connects to host:PORT from inside `from` (or from the harness's own namespace): true when the TCP handshake completes. */
async function canConnect(network: StartedPrivateNetwork, to: NetworkHost, from?: NetworkHost): Promise<boolean> {
  const script =
    `const s=require('net').connect(${PORT},'${to.address}',()=>process.exit(0));` +
    `s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(2),${CONNECT_TIMEOUT_MS});`;
  const { command, args } = from
    ? network.command(from, process.execPath, ['-e', script])
    : { command: process.execPath, args: ['-e', script] };
  return execFileAsync(command, args).then(
    () => true,
    () => false,
  );
}

async function linkExists(name: string): Promise<boolean> {
  return execFileAsync('ip', ['link', 'show', name]).then(
    () => true,
    () => false,
  );
}

describe('a private network of namespaces', () => {
  const networks: StartedPrivateNetwork[] = [];
  afterAll(async () => {
    for (const n of networks) await n.dispose();
  });

  it.skipIf(process.getuid?.() !== 0)(
    'connects hosts to each other and to the harness, partitions them, heals exactly, and leaves nothing behind',
    async () => {
      const network = await StartedPrivateNetwork.start({ hosts: 3 });
      networks.push(network);
      const [a, b, c] = network.hosts as [NetworkHost, NetworkHost, NetworkHost];
      expect(new Set(network.hosts.map((h) => h.address)).size).toBe(3);
      const { command, args } = network.command(a, process.execPath, [
        '-e',
        `require('net').createServer((s)=>s.end()).listen(${PORT},'${a.address}',()=>console.log('listening'))`,
      ]);
      const server = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve, reject) => {
          server.stdout!.once('data', () => resolve());
          server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
        });
        expect(await canConnect(network, a)).toBe(true);
        expect(await canConnect(network, a, b)).toBe(true);

        const partition = await network.partition([[a], [b, c]]);
        expect(await canConnect(network, a, b)).toBe(false);
        expect(await canConnect(network, a, c)).toBe(false);
        // The harness is outside the partition: it still reaches every host.
        expect(await canConnect(network, a)).toBe(true);

        await partition.heal();
        expect(await canConnect(network, a, b)).toBe(true);
        const { stdout } = await execFileAsync('ip', ['-n', b.ns, 'route']);
        expect(stdout).not.toContain('blackhole');
      } finally {
        server.kill('SIGKILL');
      }
      await network.dispose();
      const left = await listNamespaces();
      for (const host of network.hosts) expect(left).not.toContain(host.ns);
      expect(await linkExists(network.bridge)).toBe(false);
    },
  );

  it.skipIf(process.getuid?.() !== 0)('is removed by its lifeline when the harness that made it is SIGKILLed', async () => {
    const maker = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./chaos/cluster/private-network.ts').then(async (m) => {` +
          `const n = await m.StartedPrivateNetwork.start({ hosts: 2 });` +
          `console.log(JSON.stringify({ bridge: n.bridge, ns: n.hosts.map((h) => h.ns) }));` +
          `setInterval(() => {}, 1000); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const made = await new Promise<{ bridge: string; ns: string[] }>((resolve, reject) => {
      maker.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { bridge: string; ns: string[] }));
      maker.once('exit', (code) => reject(new Error(`maker exited ${code}`)));
    });
    expect(await listNamespaces()).toEqual(expect.arrayContaining(made.ns));
    maker.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && ((await listNamespaces()).some((ns) => made.ns.includes(ns)) || (await linkExists(made.bridge))))
      await new Promise((r) => setTimeout(r, 200));
    expect((await listNamespaces()).filter((ns) => made.ns.includes(ns))).toEqual([]);
    expect(await linkExists(made.bridge)).toBe(false);
  });
});
