import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** Several processes of one service share its file: wait for the writer lock instead of failing. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens a service's SQLite store. WAL lets readers (the API's GET, the harness's checkers) work
 * while workers write; synchronous=NORMAL in WAL mode survives a killed process (only a power
 * loss could roll back the last commits), which is the failure this harness injects.
 */
export function openDatabase(file: string, schema: string): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  // Instances of one service start together: switching to WAL and creating the schema need the
  // file to themselves, and SQLite reports "database is locked" without waiting for those.
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(schema);
      return db;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.random() * 80);
    }
  }
}

/** Read-only access for the harness: never creates a file, never takes the writer lock. */
export function openDatabaseReadOnly(file: string): Db {
  return new Database(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
}

/** Ids of messages whose effect is committed: the idempotency record every service keeps. */
export const PROCESSED_TABLE = `CREATE TABLE IF NOT EXISTS processed (message_id TEXT PRIMARY KEY, at REAL NOT NULL);`;

export interface StoreOptions {
  /**
   * false = the `no-idempotency` flaw: the store forgets what it already applied, so a redelivered
   * message charges, reserves or notifies again. Default true.
   */
  idempotent?: boolean;
}

export function storeFile(
  dataDir: string,
  service: 'orders' | 'payments' | 'inventory' | 'notifications' | 'dead-letters' | 'audit',
): string {
  return `${dataDir}/${service}.sqlite`;
}
