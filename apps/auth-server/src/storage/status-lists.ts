import type { Database, Queryable } from '@stateless-auth/sql'

// Status values of draft-ietf-oauth-status-list §7.1, as stored (the package's StatusType, without importing it
// into the storage layer).
const VALID = 0
const INVALID = 1

/** One status list: a fixed number of entries, and a version every change of a status bumps. */
export interface StatusListRow {
  id: string
  size: number
  bits: number
  version: number
  createdAt: number
  sealedAt: number | null
}

interface ListRow {
  id: string
  size: number
  bits: number
  version: number
  created_at: number
  sealed_at: number | null
}

const toList = (row: ListRow): StatusListRow => ({
  id: row.id,
  size: row.size,
  bits: row.bits,
  version: row.version,
  createdAt: row.created_at,
  sealedAt: row.sealed_at,
})

/** What an entry remembers about its access token, so each revocation event can find the tokens it kills. */
export interface StatusEntryOwner {
  jti: string
  clientId: string
  subject: string
  /** The user behind the token; null for a client acting for itself (client_credentials). */
  userId: string | null
  /** The grant (refresh-token family, authorization code) it was issued from; null for client_credentials. */
  grantId: string | null
  expiresAt: number
  /** When the index may serve another token: the token's `exp` plus the clock skew verifiers allow. */
  reusableAt: number
}

/** Which live tokens a revocation event sets to INVALID. */
export type StatusSelector = { jti: string } | { grantId: string } | { username: string }

function selectorSql(selector: StatusSelector): { where: string; value: string } {
  if ('jti' in selector) return { where: 'jti = $2', value: selector.jti }
  if ('grantId' in selector) return { where: 'grant_id = $2', value: selector.grantId }
  return { where: 'user_id = (SELECT id FROM users WHERE username = $2)', value: selector.username }
}

/**
 * Sets every live entry the selector names to INVALID and bumps the version of each list it touched, inside the
 * caller's transaction: the revocation and the status change commit together, so a list built from the database
 * after the commit always shows it (and a list cached under the old version is rebuilt). The UPDATE comes first
 * and returns the lists it changed, so an entry that appeared meanwhile cannot be flipped without its list's
 * version moving too. Entries whose token is past `exp` + skew (`reusable_at`) are left alone: nobody accepts
 * those tokens, and a bit set there would only delay reusing the index.
 */
export async function invalidateStatuses(
  tx: Queryable,
  selector: StatusSelector,
  now: number,
): Promise<number> {
  const { where, value } = selectorSql(selector)
  const changed = await tx.query<{ list_id: string }>(
    `UPDATE status_list_entries SET status = ${INVALID}
     WHERE ${where} AND status = ${VALID} AND reusable_at > $1
     RETURNING list_id`,
    [now, value],
  )
  await bumpVersions(
    tx,
    changed.map((row) => row.list_id),
    now,
  )
  return changed.length
}

async function bumpVersions(tx: Queryable, listIds: string[], now: number): Promise<void> {
  const ids = [...new Set(listIds)]
  if (ids.length === 0) return
  const placeholders = ids.map((_, i) => `$${i + 2}`).join(', ')
  await tx.execute(
    `UPDATE status_lists SET version = version + 1, updated_at = $1 WHERE id IN (${placeholders})`,
    [now, ...ids],
  )
}

/**
 * Status lists and their entries (draft-ietf-oauth-status-list). An entry is a row keyed by (list, idx): the
 * primary key is what makes allocation race-free across replicas, since two inserts of one index cannot both
 * succeed on either backend.
 */
export class StatusListRepository {
  constructor(private readonly db: Database) {}

  async find(id: string): Promise<StatusListRow | undefined> {
    const row = await this.db.one<ListRow>('SELECT * FROM status_lists WHERE id = $1', [id])
    return row && toList(row)
  }

  async all(): Promise<StatusListRow[]> {
    const rows = await this.db.query<ListRow>('SELECT * FROM status_lists ORDER BY id')
    return rows.map(toList)
  }

  /** The lists of this size that still take new entries (usually one; replicas racing may open a second). */
  async open(size: number, bits: number): Promise<StatusListRow[]> {
    const rows = await this.db.query<ListRow>(
      'SELECT * FROM status_lists WHERE sealed_at IS NULL AND size = $1 AND bits = $2',
      [size, bits],
    )
    return rows.map(toList)
  }

  async create(list: { id: string; size: number; bits: number }, now: number): Promise<void> {
    await this.db.execute(
      `INSERT INTO status_lists (id, size, bits, version, created_at, updated_at)
       VALUES ($1, $2, $3, 0, $4, $4)`,
      [list.id, list.size, list.bits, now],
    )
  }

  /** Stops new entries going into a list; false when another caller sealed it first. */
  async seal(id: string, now: number): Promise<boolean> {
    const { rowCount } = await this.db.execute(
      'UPDATE status_lists SET sealed_at = $1 WHERE id = $2 AND sealed_at IS NULL',
      [now, id],
    )
    return rowCount === 1
  }

  /**
   * Reopens the oldest sealed list of this size whose every entry is reusable again (all its tokens expired, no
   * bit still set), so the number of lists follows the number of live tokens instead of growing forever.
   */
  async reopenDrained(size: number, bits: number, now: number): Promise<StatusListRow | undefined> {
    const candidate = await this.db.one<ListRow>(
      `SELECT * FROM status_lists l
       WHERE sealed_at IS NOT NULL AND size = $1 AND bits = $2
         AND NOT EXISTS (SELECT 1 FROM status_list_entries e
                         WHERE e.list_id = l.id AND (e.reusable_at > $3 OR e.status <> ${VALID}))
       ORDER BY sealed_at LIMIT 1`,
      [size, bits, now],
    )
    if (!candidate) return undefined
    const { rowCount } = await this.db.execute(
      'UPDATE status_lists SET sealed_at = NULL WHERE id = $1 AND sealed_at IS NOT NULL',
      [candidate.id],
    )
    return rowCount === 1 ? toList({ ...candidate, sealed_at: null }) : undefined
  }

  /**
   * Tries to claim one of `candidates` (distinct indices of `listId`) for a new token, in one transaction that
   * first reads (on PostgreSQL: share-locks) the token's grant and user. A revocation of that grant or user
   * updates the same row, so the two are ordered: either the revocation commits first and the entry is written
   * INVALID here, or this commits first and the revocation's UPDATE of the entries sees the new row.
   *
   * Each candidate is an `INSERT … ON CONFLICT DO NOTHING` (a never-used index) or a conditional UPDATE taking
   * over an entry whose token is past `reusable_at` with its bit back at VALID; of concurrent claims of one
   * index exactly one touches a row. Returns the index won, or undefined when every candidate was taken.
   */
  async claim(listId: string, candidates: number[], owner: StatusEntryOwner, now: number) {
    const share = this.db.dialect === 'postgres' ? ' FOR SHARE' : ''
    return this.db.transaction(async (tx) => {
      let status = VALID
      if (owner.grantId !== null) {
        const grant = await tx.one<{ revoked_at: number | null }>(
          `SELECT revoked_at FROM grants WHERE id = $1${share}`,
          [owner.grantId],
        )
        if (grant?.revoked_at != null) status = INVALID
      }
      if (owner.userId !== null) {
        const user = await tx.one<{ disabled_at: number | null }>(
          `SELECT disabled_at FROM users WHERE id = $1${share}`,
          [owner.userId],
        )
        if (user?.disabled_at != null) status = INVALID
      }
      const values = [
        owner.jti,
        owner.clientId,
        owner.subject,
        owner.userId,
        owner.grantId,
        owner.expiresAt,
        owner.reusableAt,
        status,
        now,
      ] as const
      for (const idx of candidates) {
        const inserted = await tx.execute(
          `INSERT INTO status_list_entries
             (list_id, idx, jti, client_id, subject, user_id, grant_id, expires_at, reusable_at, status, created_at)
           VALUES ($10, $11, $1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (list_id, idx) DO NOTHING`,
          [...values, listId, idx],
        )
        const won =
          inserted.rowCount === 1 ||
          (
            await tx.execute(
              `UPDATE status_list_entries
               SET jti = $1, client_id = $2, subject = $3, user_id = $4, grant_id = $5, expires_at = $6,
                   reusable_at = $7, status = $8, created_at = $9
               WHERE list_id = $10 AND idx = $11 AND status = ${VALID} AND reusable_at <= $9`,
              [...values, listId, idx],
            )
          ).rowCount === 1
        if (won) {
          if (status !== VALID) await bumpVersions(tx, [listId], now)
          return idx
        }
      }
      return undefined
    })
  }

  /** The entries of a list that are not VALID: all a status list needs, since VALID is the default (§13.4). */
  async statuses(listId: string): Promise<Array<{ idx: number; status: number }>> {
    return this.db.query<{ idx: number; status: number }>(
      `SELECT idx, status FROM status_list_entries WHERE list_id = $1 AND status <> ${VALID}`,
      [listId],
    )
  }

  async findEntry(jti: string): Promise<{ listId: string; idx: number; status: number } | undefined> {
    const row = await this.db.one<{ list_id: string; idx: number; status: number }>(
      'SELECT list_id, idx, status FROM status_list_entries WHERE jti = $1',
      [jti],
    )
    return row && { listId: row.list_id, idx: row.idx, status: row.status }
  }

  /**
   * Puts the bits of dead tokens (past `reusable_at`) back to VALID and bumps their lists' versions. Their
   * indices become reusable only `holdFor` seconds later: a verifier may still hold a list with the bit set for
   * up to `ttl`, and a new token must not start its life looking revoked.
   */
  async releaseDead(now: number, holdFor: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const released = await tx.query<{ list_id: string }>(
        `UPDATE status_list_entries SET status = ${VALID}, reusable_at = $2
         WHERE status <> ${VALID} AND reusable_at <= $1
         RETURNING list_id`,
        [now, now + holdFor],
      )
      await bumpVersions(
        tx,
        released.map((row) => row.list_id),
        now,
      )
      return released.length
    })
  }
}
