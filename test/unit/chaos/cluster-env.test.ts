import { describe, expect, it } from 'vitest';
import type { ClusterControl, ClusterNodeControl, FaultEnv } from '../../../chaos/fault.ts';
import { clusterOf, FIRST_NODE, NoClusterError, pickNode } from '../../../chaos/faults/cluster-env.ts';

function node(name: string, running = true): ClusterNodeControl {
  const fail = () => Promise.reject(new Error('not in this test'));
  return { name, running, stop: fail, kill: fail, start: fail, ctl: fail };
}

function envWith(nodes: ClusterNodeControl[] | undefined, random = () => 0.99): FaultEnv {
  const cluster: ClusterControl | undefined = nodes && {
    nodes,
    partition: () => Promise.reject(new Error('not in this test')),
    leaderOf: () => Promise.resolve(undefined),
    leaders: () => Promise.resolve(new Map()),
    waitUntilWhole: () => Promise.resolve(),
    waitUntilSeenDown: () => Promise.resolve(),
  };
  return { ...(cluster ? { cluster } : {}), random, log: () => {} } as unknown as FaultEnv;
}

describe('cluster fault helpers', () => {
  it('refuses a cluster fault in a run without a cluster, naming the option that gives one', () => {
    expect(() => clusterOf(envWith(undefined), 'node-kill')).toThrow(NoClusterError);
    expect(() => clusterOf(envWith(undefined), 'node-kill')).toThrow(/node-kill needs a cluster: run the scenario with --cluster 3/);
  });

  it('picks a running node with the seeded randomness, or the one named', () => {
    const nodes = [node('rabbit@a'), node('rabbit@b', false), node('rabbit@c')];
    expect(
      pickNode(
        envWith(nodes, () => 0),
        'node-kill',
      ).name,
    ).toBe('rabbit@a');
    expect(
      pickNode(
        envWith(nodes, () => 0.99),
        'node-kill',
      ).name,
    ).toBe('rabbit@c');
    expect(pickNode(envWith(nodes), 'node-kill', 'rabbit@a').name).toBe('rabbit@a');
    expect(() => pickNode(envWith(nodes), 'node-kill', 'rabbit@b')).toThrow(/no running cluster node named rabbit@b/);
  });

  it('picks the first node by the name `first`, and refuses it when it is down', () => {
    expect(pickNode(envWith([node('rabbit@a'), node('rabbit@c')]), 'node-kill', FIRST_NODE).name).toBe('rabbit@a');
    expect(() => pickNode(envWith([node('rabbit@a', false), node('rabbit@c')]), 'node-kill', FIRST_NODE)).toThrow(
      /no running cluster node/,
    );
  });
});
