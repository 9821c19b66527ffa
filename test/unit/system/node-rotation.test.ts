import { describe, expect, it } from 'vitest';
import { nodeUrls } from '../../../system/amqp/managed-connection.ts';
import { connectFields, describeEndpoint, NodeRotation, NoBrokerUrlError } from '../../../system/amqp/node-rotation.ts';

// In which order does a connection try a cluster's nodes, and does the object amqplib reads always
// describe exactly one of them? (That amqplib really connects where the object says, attempt after
// attempt, is test/integration/system-cluster/node-rotation.test.ts.)

const NODES = ['amqp://u:p@127.0.0.1:5001', 'amqp://u:p@127.0.0.1:5002', 'amqp://other:secret@10.0.0.3:5003/orders'];

describe('the node rotation', () => {
  it('starts at the first node and moves to the next on every advance, wrapping around', () => {
    const rotation = new NodeRotation(NODES, 5);
    const visited = [rotation.current.address];
    for (let k = 0; k < 5; k++) visited.push(rotation.advance().address);
    expect(visited).toEqual(['127.0.0.1:5001', '127.0.0.1:5002', '10.0.0.3:5003', '127.0.0.1:5001', '127.0.0.1:5002', '10.0.0.3:5003']);
  });

  it('rewrites every field of the one object amqplib holds, so an attempt never mixes two nodes', () => {
    const rotation = new NodeRotation(NODES, 5);
    const target = rotation.target;
    expect(target).toMatchObject({ hostname: '127.0.0.1', port: 5001, username: 'u', password: 'p', vhost: undefined, heartbeat: 5 });
    rotation.advance();
    rotation.advance();
    expect(rotation.target).toBe(target);
    expect(target).toMatchObject({
      protocol: 'amqp',
      hostname: '10.0.0.3',
      port: 5003,
      username: 'other',
      password: 'secret',
      vhost: 'orders',
    });
    rotation.advance();
    expect(target).toMatchObject({ hostname: '127.0.0.1', port: 5001, username: 'u', password: 'p', vhost: undefined });
  });

  it('stays on a single node, and refuses none', () => {
    const rotation = new NodeRotation([NODES[0]!], 0);
    expect(rotation.advance()).toEqual({ index: 0, of: 1, address: '127.0.0.1:5001' });
    expect(rotation.target.port).toBe(5001);
    expect(() => new NodeRotation([], 5)).toThrow(NoBrokerUrlError);
  });

  it('names the node in the history only when there is more than one', () => {
    expect(describeEndpoint({ index: 1, of: 3, address: '127.0.0.1:5002' })).toBe('127.0.0.1:5002 (node 2 of 3)');
    expect(describeEndpoint({ index: 0, of: 1, address: '127.0.0.1:5001' })).toBe('127.0.0.1:5001');
  });
});

describe('a URL as amqplib object fields', () => {
  it('reads it as amqplib reads a URL string: decoded credentials, escaped vhost, IPv6 without brackets, query options', () => {
    expect(connectFields('amqps://us%40er:p%3Ass@[::1]:5671/%2Fv?frameMax=8192&channelMax=7&locale=de_DE', 3)).toEqual({
      protocol: 'amqps',
      hostname: '::1',
      port: 5671,
      username: 'us@er',
      password: 'p:ss',
      vhost: '%2Fv',
      heartbeat: 3,
      frameMax: 8192,
      channelMax: 7,
      locale: 'de_DE',
    });
  });

  it('leaves credentials and port unset when the URL has none (amqplib then uses guest and 5672)', () => {
    expect(connectFields('amqp://localhost', 5)).toMatchObject({
      username: undefined,
      password: undefined,
      port: undefined,
      vhost: undefined,
    });
  });
});

describe('the URLs a connection tries', () => {
  it('uses every node, or the first alone with single-node-client or no-reconnect', () => {
    expect(nodeUrls(NODES, [])).toEqual(NODES);
    expect(nodeUrls(NODES, ['no-heartbeat', 'classic-in-cluster'])).toEqual(NODES);
    expect(nodeUrls(NODES, ['single-node-client'])).toEqual([NODES[0]]);
    expect(nodeUrls(NODES, ['no-reconnect'])).toEqual([NODES[0]]);
    expect(nodeUrls(NODES[1]!, [])).toEqual([NODES[1]]);
  });
});
