import type { Outcome } from '../../instrument/history-event.ts';
import type { Db } from './sqlite.ts';

/**
 * Which API process may publish an order id, kept in the orders store so every API process
 * sharing it sees the same answer. An id is claimed (with the hash of its body) before its
 * `order.created` is published, in one write transaction, so two requests for one id can never
 * both publish, and a second body for an id is refused however the requests interleave.
 */
export const ORDER_CLAIMS_TABLE = `
CREATE TABLE IF NOT EXISTS order_claims (
  id TEXT PRIMARY KEY,
  body_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('publishing', 'accepted', 'unconfirmed')),
  owner TEXT,
  lease_until REAL,
  in_doubt INTEGER NOT NULL DEFAULT 0,
  updated_at REAL NOT NULL
);`;

/**
 * - `publishing`: `owner` is publishing it now; past `lease_until` its process is taken for dead;
 * - `accepted`: the broker confirmed it, the client got (or gets) a 202;
 * - `unconfirmed`: the last attempt got no confirm; a retry with the same body publishes again.
 * `in_doubt`: some attempt's outcome is unknown, so the message may exist although no 202 was given.
 */
export type ClaimState = 'publishing' | 'accepted' | 'unconfirmed';

export interface Claim {
  id: string;
  bodyHash: string;
  state: ClaimState;
  owner: string | null;
  leaseUntil: number | null;
  inDoubt: boolean;
}

export type ClaimResult =
  /** The caller now owns the id and must publish, then settle. */
  | { kind: 'claimed'; inDoubt: boolean }
  | { kind: 'conflict' }
  | { kind: 'accepted' }
  /** Another request is publishing the same body right now. */
  | { kind: 'busy'; owner: string | null };

export class OrderClaims {
  readonly #db: Db;
  readonly #sql;

  constructor(db: Db) {
    this.#db = db;
    this.#sql = {
      get: db.prepare('SELECT * FROM order_claims WHERE id = ?'),
      insert: db.prepare(
        "INSERT INTO order_claims (id, body_hash, state, owner, lease_until, updated_at) VALUES (?, ?, 'publishing', ?, ?, ?)",
      ),
      takeOver: db.prepare(
        "UPDATE order_claims SET state = 'publishing', owner = ?, lease_until = ?, in_doubt = ?, updated_at = ? WHERE id = ?",
      ),
      accepted: db.prepare(
        "UPDATE order_claims SET state = 'accepted', owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND body_hash = ?",
      ),
      doubt: db.prepare('UPDATE order_claims SET in_doubt = 1, updated_at = ? WHERE id = ? AND body_hash = ?'),
      release: db.prepare("DELETE FROM order_claims WHERE id = ? AND owner = ? AND state = 'publishing' AND in_doubt = 0"),
      unconfirmed: db.prepare(
        "UPDATE order_claims SET state = 'unconfirmed', owner = NULL, lease_until = NULL, updated_at = ? " +
          "WHERE id = ? AND owner = ? AND state = 'publishing'",
      ),
      abandon: db.prepare(
        "UPDATE order_claims SET state = 'unconfirmed', in_doubt = 1, owner = NULL, lease_until = NULL, updated_at = ? " +
          "WHERE state = 'publishing' AND substr(owner, 1, length(?)) = ?",
      ),
    };
  }

  get(id: string): Claim | undefined {
    const row = this.#sql.get.get(id) as Record<string, unknown> | undefined;
    return row ? toClaim(row) : undefined;
  }

  /** Claims `id` for publishing `bodyHash` until `now + leaseMs`, or says why not. */
  claim(id: string, bodyHash: string, owner: string, leaseMs: number, now = Date.now()): ClaimResult {
    const sql = this.#sql;
    // IMMEDIATE: take the write lock before reading, so two processes cannot both read "free".
    return this.#db
      .transaction((): ClaimResult => {
        const claim = this.get(id);
        if (!claim) {
          sql.insert.run(id, bodyHash, owner, now + leaseMs, now);
          return { kind: 'claimed', inDoubt: false };
        }
        if (claim.bodyHash !== bodyHash) return { kind: 'conflict' };
        if (claim.state === 'accepted') return { kind: 'accepted' };
        if (claim.state === 'publishing' && (claim.leaseUntil ?? 0) > now) return { kind: 'busy', owner: claim.owner };
        // Unconfirmed, or its publisher went silent past the lease (died mid-publish, outcome unknown).
        const inDoubt = claim.inDoubt || claim.state === 'publishing';
        sql.takeOver.run(owner, now + leaseMs, inDoubt ? 1 : 0, now, id);
        return { kind: 'claimed', inDoubt };
      })
      .immediate();
  }

  /**
   * Records an attempt's outcome and returns the claim after it (undefined once released).
   * A confirm makes the order accepted whoever owns the claim now (the broker has it); an unknown
   * outcome leaves the id bound to this body for good; a certain failure frees the id, unless an
   * earlier attempt's message may exist.
   */
  settle(id: string, bodyHash: string, owner: string, outcome: Outcome, now = Date.now()): Claim | undefined {
    const sql = this.#sql;
    return this.#db
      .transaction(() => {
        if (outcome === 'ok') sql.accepted.run(now, id, bodyHash);
        else {
          if (outcome === 'info') sql.doubt.run(now, id, bodyHash);
          else sql.release.run(id, owner);
          sql.unconfirmed.run(now, id, owner);
        }
        return this.get(id);
      })
      .immediate();
  }

  /** Claims an earlier process of this name was publishing died with it: their outcome is unknown. */
  abandonOwnedBy(ownerPrefix: string, now = Date.now()): number {
    return this.#sql.abandon.run(now, ownerPrefix, ownerPrefix).changes;
  }
}

function toClaim(r: Record<string, unknown>): Claim {
  return {
    id: String(r.id),
    bodyHash: String(r.body_hash),
    state: r.state as ClaimState,
    owner: (r.owner as string | null) ?? null,
    leaseUntil: (r.lease_until as number | null) ?? null,
    inDoubt: r.in_doubt === 1,
  };
}
