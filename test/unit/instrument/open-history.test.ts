import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  HISTORY_FILE_ENV,
  HistoryWriter,
  InstrumentedPublisher,
  MissingMessageIdError,
  NoHistory,
  openHistory,
} from '../../../instrument/index.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('open-history');
const savedEnv = process.env[HISTORY_FILE_ENV];
afterEach(() => {
  if (savedEnv === undefined) delete process.env[HISTORY_FILE_ENV];
  else process.env[HISTORY_FILE_ENV] = savedEnv;
});
afterAll(() => dir.remove());

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('openHistory', () => {
  it('writes to the file the service names, even when HISTORY_FILE names another', () => {
    const named = join(dir.path, 'named.jsonl');
    process.env[HISTORY_FILE_ENV] = join(dir.path, 'from-env-unused.jsonl');
    const history = openHistory('svc-1', named);
    history.append({ kind: 'lifecycle', event: 'start' });
    history.close();
    expect(history).toBeInstanceOf(HistoryWriter);
    expect(lines(named)).toMatchObject([{ kind: 'lifecycle', event: 'start', proc: 'svc-1' }]);
    expect(existsSync(join(dir.path, 'from-env-unused.jsonl'))).toBe(false);
  });

  it('writes to HISTORY_FILE when the service names no file', () => {
    const fromEnv = join(dir.path, 'nested', 'from-env.jsonl');
    process.env[HISTORY_FILE_ENV] = fromEnv;
    const history = openHistory('svc-2');
    history.append({ kind: 'lifecycle', event: 'ready' });
    history.close();
    expect(lines(fromEnv)).toMatchObject([{ kind: 'lifecycle', event: 'ready', proc: 'svc-2' }]);
  });

  it('records nothing without a file or HISTORY_FILE, so production keeps the same code', () => {
    delete process.env[HISTORY_FILE_ENV];
    const history = openHistory('svc-3');
    expect(history).toBeInstanceOf(NoHistory);
    expect(history.proc).toBe('svc-3');
    expect(() => history.append({ kind: 'lifecycle', event: 'start' })).not.toThrow();
  });

  it('refuses an empty process name, saying what it expected', () => {
    expect(() => openHistory('', join(dir.path, 'x.jsonl'))).toThrow(/expected a process name/);
  });
});

describe('InstrumentedPublisher without a broker', () => {
  it('records the attempt and a certain failure when it has no channel', async () => {
    const file = join(dir.path, 'no-channel.jsonl');
    const history = new HistoryWriter(file, 'api-1');
    const publisher = new InstrumentedPublisher(history);
    const report = await publisher.publish('orders', 'order.created', Buffer.from('{}'), {
      messageId: 'm-1',
      headers: { 'x-order-id': 'o-1' },
    });
    history.close();
    expect(report).toEqual({ outcome: 'fail', cause: 'not-sent', error: 'not connected' });
    expect(lines(file)).toMatchObject([
      { kind: 'publish-attempt', id: 'm-1', orderId: 'o-1', exchange: 'orders', routingKey: 'order.created' },
      { kind: 'publish-result', id: 'm-1', orderId: 'o-1', outcome: 'fail', error: 'not connected' },
    ]);
  });

  it('refuses a publish without a message id before recording anything: it could never be accounted for', async () => {
    const file = join(dir.path, 'no-id.jsonl');
    const history = new HistoryWriter(file, 'api-1');
    const publisher = new InstrumentedPublisher(history);
    await expect(publisher.publish('', 'q', Buffer.from('x'), { messageId: '' })).rejects.toBeInstanceOf(MissingMessageIdError);
    history.close();
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});
