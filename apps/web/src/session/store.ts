import { createHash, type JsonWebKey, randomBytes } from 'node:crypto'
import type { Database, Migration } from '@stateless-auth/sql'
import type { Sealer } from './seal.js'

/** An access token the session holds for one API (RFC 8707: one audience per token). */
export interface HeldToken {
  accessToken: string
  /** Epoch seconds, from the token response's `expires_in`. */
  expiresAt: number
}

export type Api = 'orders' | 'inventory'

/** What the server keeps for a signed-in browser. Nothing of it reaches browser JavaScript except decoded claims. */
export interface SessionData {
  sub: string
  username: string
  scope: string
  refreshToken: string | undefined
  /**
   * The ID token of the sign-in, kept for sign-out: the `id_token_hint` of RP-Initiated Logout 1.0 §2, which
   * names this client and user to the auth-server. Never shown. Sessions from before it was kept lack it.
   */
  idToken?: string
  tokens: Partial<Record<Api, HeldToken>>
  /**
   * The session's DPoP key (RFC 9449), private JWK: every token of the session is bound to it. Kept here only,
   * sealed in the session row with the rest; never sent to the browser.
   */
  dpopKey?: JsonWebKey
}

export const migrations: Migration[] = [
  {
    id: '001-web-sessions',
    up: `CREATE TABLE web_sessions (
      id_hash TEXT PRIMARY KEY,
      sealed TEXT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL
    )`,
  },
  {
    // Issue 12, item 8: the refresh lease, shared by every replica on this table (epoch milliseconds; 0: free).
    id: '002-web-session-lease',
    up: 'ALTER TABLE web_sessions ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0',
  },
]

// The cookie carries the id; the table only its hash, so reading the table does not let anyone ride a session.
const hash = (id: string) => createHash('sha256').update(id).digest('base64url')

export interface SessionStore {
  create(data: SessionData): Promise<string>
  get(id: string): Promise<SessionData | undefined>
  save(id: string, data: SessionData): Promise<void>
  destroy(id: string): Promise<void>
  /**
   * Takes the session's refresh lease for `ms` milliseconds if no one holds it (a conditional UPDATE, so two
   * replicas on one database cannot both win); false when it is held or the session is gone.
   */
  lease(id: string, ms: number): Promise<boolean>
  release(id: string): Promise<void>
}

export function createSessionStore(
  db: Database,
  sealer: Sealer,
  ttl: number,
  now: () => number = () => Math.floor(Date.now() / 1000),
): SessionStore {
  return {
    async create(data) {
      const id = randomBytes(32).toString('base64url')
      const t = now()
      await db.execute('DELETE FROM web_sessions WHERE expires_at < $1', [t])
      await db.execute(
        'INSERT INTO web_sessions (id_hash, sealed, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [hash(id), sealer.seal(JSON.stringify(data)), t, t + ttl],
      )
      return id
    },
    async get(id) {
      const row = await db.one<{ sealed: string }>(
        'SELECT sealed FROM web_sessions WHERE id_hash = $1 AND expires_at >= $2',
        [hash(id), now()],
      )
      const json = row && sealer.open(row.sealed)
      return json ? (JSON.parse(json) as SessionData) : undefined
    },
    async save(id, data) {
      await db.execute('UPDATE web_sessions SET sealed = $1 WHERE id_hash = $2', [
        sealer.seal(JSON.stringify(data)),
        hash(id),
      ])
    },
    async destroy(id) {
      await db.execute('DELETE FROM web_sessions WHERE id_hash = $1', [hash(id)])
    },
    async lease(id, ms) {
      const t = Date.now()
      const { rowCount } = await db.execute(
        'UPDATE web_sessions SET lease_until = $1 WHERE id_hash = $2 AND lease_until < $3',
        [t + ms, hash(id), t],
      )
      return rowCount === 1
    },
    async release(id) {
      await db.execute('UPDATE web_sessions SET lease_until = 0 WHERE id_hash = $1', [hash(id)])
    },
  }
}
