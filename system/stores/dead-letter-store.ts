import { openDatabase, storeFile, type Db } from './sqlite.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL,
  order_id TEXT,
  queue TEXT NOT NULL,
  reason TEXT NOT NULL,
  death_count INTEGER NOT NULL,
  retries INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  at REAL NOT NULL,
  UNIQUE (message_id, queue)
);`;

export interface DeadLetter {
  messageId: string;
  orderId?: string;
  queue: string;
  reason: string;
  count: number;
  /** Broker-side retries before it died (see DeadLetteredEvent). */
  retries?: number;
  body: string;
}

/** Dead letters kept for manual review (the article kept them in a process-memory array). */
export class DeadLetterStore {
  readonly db: Db;
  readonly #insert;

  constructor(dataDir: string) {
    this.db = openDatabase(storeFile(dataDir, 'dead-letters'), SCHEMA);
    this.#insert = this.db.prepare(
      'INSERT OR IGNORE INTO dead_letters (message_id, order_id, queue, reason, death_count, retries, body, at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Returns false when this dead letter (same message, same queue) was already recorded. */
  recordOnce(letter: DeadLetter): boolean {
    return (
      this.#insert.run(
        letter.messageId,
        letter.orderId ?? null,
        letter.queue,
        letter.reason,
        letter.count,
        letter.retries ?? 0,
        letter.body,
        Date.now(),
      ).changes === 1
    );
  }
}
