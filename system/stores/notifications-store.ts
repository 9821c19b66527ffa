import type { Notification } from '../messages.ts';
import { openDatabase, storeFile, type Db, type StoreOptions } from './sqlite.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS notifications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL,
  order_id TEXT NOT NULL,
  type TEXT NOT NULL,
  sent_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notifications_by_message ON notifications (message_id);`;

/** Notifications "sent" (recorded): the reference sends each event's notification once (unless the store is not idempotent: the flaw). */
export class NotificationsStore {
  readonly db: Db;
  readonly #idempotent: boolean;
  readonly #sql;

  constructor(dataDir: string, options: StoreOptions = {}) {
    this.db = openDatabase(storeFile(dataDir, 'notifications'), SCHEMA);
    this.#idempotent = options.idempotent ?? true;
    this.#sql = {
      existing: this.db.prepare('SELECT 1 FROM notifications WHERE message_id = ? LIMIT 1'),
      insert: this.db.prepare('INSERT INTO notifications (message_id, order_id, type, sent_at) VALUES (?, ?, ?, ?)'),
    };
  }

  sendOnce(messageId: string, notification: Notification): boolean {
    return this.db
      .transaction(() => {
        if (this.#idempotent && this.#sql.existing.get(messageId)) return false;
        this.#sql.insert.run(messageId, notification.orderId, notification.type, Date.now());
        return true;
      })
      .immediate();
  }
}
