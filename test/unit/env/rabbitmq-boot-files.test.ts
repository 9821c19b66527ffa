import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appDependencies, enabledPluginsFile, erlangTermConfig, linkPluginsDir } from '../../../harness/env/rabbitmq-boot-files.ts';
import { findRabbitMq } from '../../../harness/env/rabbitmq-binary.ts';

describe('a node’s boot files', () => {
  it('writes the listeners and the administrator as Erlang terms, quoting what needs it', () => {
    const config = erlangTermConfig({ host: '127.0.0.1', amqp: 1, management: 2, prometheus: 3 }, 'us"er', 'pa\\ss');
    expect(config).toContain('{tcp_listeners, [{"127.0.0.1", 1}]}');
    expect(config).toContain('{default_user, <<"us\\"er">>}');
    expect(config).toContain('{default_pass, <<"pa\\\\ss">>}');
    expect(config).toContain('{rabbitmq_management, [{tcp_config, [{ip, "127.0.0.1"}, {port, 2}]}]}');
    expect(config).toContain('{rabbitmq_prometheus, [{tcp_config, [{ip, "127.0.0.1"}, {port, 3}]}]}');
    expect(config.trimEnd().endsWith('].')).toBe(true);
    expect(enabledPluginsFile()).toBe('[rabbitmq_management,rabbitmq_prometheus].\n');
  });

  it('adds, for a cluster node, the peers it joins and the partition handling; the first node joins none', () => {
    const listeners = { host: '10.1.2.12', amqp: 1, management: 2, prometheus: 3 };
    const joining = erlangTermConfig(listeners, 'u', 'p', { joins: ['rabbit@10.1.2.11'], partitionHandling: 'pause_minority' });
    expect(joining).toContain("{cluster_nodes, {['rabbit@10.1.2.11'], disc}}");
    expect(joining).toContain('{cluster_partition_handling, pause_minority}');
    expect(joining).toContain('{tcp_listeners, [{"10.1.2.12", 1}]}');
    const first = erlangTermConfig(listeners, 'u', 'p', { joins: [], partitionHandling: 'autoheal' });
    expect(first).not.toContain('cluster_nodes');
    expect(first).toContain('{cluster_partition_handling, autoheal}');
    expect(erlangTermConfig(listeners, 'u', 'p')).not.toContain('cluster_partition_handling');
  });

  it('reads what an .app file needs, includes and may use', () => {
    const app = `{application, rabbitmq_prometheus, [{vsn, "3.10.8"},
      {applications, [kernel,stdlib, accept ,rabbit]}, {included_applications, []}, {optional_applications, [x]}]}.`;
    expect(appDependencies(app)).toEqual(['kernel', 'stdlib', 'accept', 'rabbit', 'x']);
  });

  it.skipIf(!hasRabbitMq())('links the applications the node boots and their dependencies, not every installed plugin', () => {
    const into = join(mkdtempSync(join(tmpdir(), 'plugins-')), 'plugins');
    try {
      expect(linkPluginsDir(findRabbitMq().server, into)).toBe(into);
      const names = readdirSync(into).map((entry) => entry.replace(/-[^-]+$/, ''));
      for (const app of ['rabbit', 'rabbit_common', 'rabbitmq_prelaunch', 'rabbitmq_management', 'rabbitmq_prometheus', 'cowboy', 'ra'])
        expect(names).toContain(app);
      expect(names).not.toContain('rabbitmq_mqtt');
      for (const entry of readdirSync(into)) expect(existsSync(readlinkSync(join(into, entry)))).toBe(true);
    } finally {
      rmSync(join(into, '..'), { recursive: true, force: true });
    }
  });

  it('uses the installation’s own plugins dir when its layout is not the expected one', () => {
    expect(linkPluginsDir('/nonexistent/sbin/rabbitmq-server', join(tmpdir(), 'never-made'))).toBeUndefined();
  });
});

function hasRabbitMq(): boolean {
  try {
    findRabbitMq();
    return true;
  } catch {
    return false;
  }
}
