import { join } from 'node:path';
import { recordRunChildren } from '../harness/env/child-registry.ts';
import { DEFAULT_SYSTEM_SPEC, StartedOrderSystem } from '../harness/env/order-system.ts';
import { StartedProxyEnv } from '../harness/env/proxy-env.ts';
import { StartedRabbitNode } from '../harness/env/rabbitmq-node.ts';

export class BenchInterruptedError extends Error {
  override readonly name = 'BenchInterruptedError';
}

/**
 * What the benchmark runs against, started the way the scenario runner starts it: one private
 * broker, the two proxies in front of it, the reference system (DEFAULT_SYSTEM_SPEC) connected
 * through them. Every PID lands in `processes.jsonl`; `stop()` ends them by PID, whatever started.
 */
export class BenchEnv implements AsyncDisposable {
  broker: StartedRabbitNode | null = null;
  proxies: StartedProxyEnv | null = null;
  system: StartedOrderSystem | null = null;
  readonly runDir: string;
  readonly #stopRecording: () => void;

  constructor(runDir: string) {
    this.runDir = runDir;
    this.#stopRecording = recordRunChildren(runDir);
  }

  async start(signal: AbortSignal, log: (message: string) => void): Promise<{ broker: StartedRabbitNode; proxies: StartedProxyEnv; system: StartedOrderSystem }> {
    const check = () => {
      if (signal.aborted) throw new BenchInterruptedError(String(signal.reason));
    };
    log('starting broker');
    const broker = (this.broker = await StartedRabbitNode.start({ dir: join(this.runDir, 'broker') }));
    check();
    log('starting proxy');
    const proxies = (this.proxies = await StartedProxyEnv.start({ brokerHost: broker.host, brokerPort: broker.amqpPort, logFile: join(this.runDir, 'logs', 'toxiproxy.log') }));
    check();
    log('starting the order system');
    const system = (this.system = await StartedOrderSystem.start(this.runDir, proxies.endpoints((host, port) => broker.amqpUrl(host, port)), DEFAULT_SYSTEM_SPEC));
    check();
    return { broker, proxies, system };
  }

  async stop(): Promise<void> {
    await this.system?.stop().catch(() => {});
    await this.proxies?.stop().catch(() => {});
    await this.broker?.dispose().catch(() => {});
    this.#stopRecording();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
