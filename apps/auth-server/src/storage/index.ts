import { type Database, openDatabase } from '@stateless-auth/sql'
import { ClientRepository } from './clients.js'
import { ConsentRepository } from './consents.js'
import { CounterRepository } from './counters.js'
import { DpopBindingRepository, DpopReplayRepository } from './dpop.js'
import { GrantRepository } from './grants.js'
import { SigningKeyRepository } from './keys.js'
import { migrations } from './migrations.js'
import { SessionRepository } from './sessions.js'
import { StatusListRepository } from './status-lists.js'
import { AccessTokenRepository, CodeRepository, RefreshTokenRepository } from './tokens.js'
import { UserRepository } from './users.js'

export type { Client, ClientMetadata, GrantType, TokenEndpointAuthMethod } from './clients.js'
export { isPublic } from './clients.js'
export type { Grant } from './grants.js'
export type { StoredKey } from './keys.js'
export type { StatusListRow } from './status-lists.js'
export type { AccessTokenRecord, RefreshToken } from './tokens.js'
export type { User } from './users.js'
export { migrations }

/** Everything the server persists, one repository per kind of record, over one SQLite or PostgreSQL database. */
export interface Storage {
  readonly db: Database
  readonly users: UserRepository
  readonly clients: ClientRepository
  readonly consents: ConsentRepository
  readonly grants: GrantRepository
  readonly codes: CodeRepository
  readonly refreshTokens: RefreshTokenRepository
  readonly accessTokens: AccessTokenRepository
  readonly keys: SigningKeyRepository
  readonly sessions: SessionRepository
  /** Failure and rate-limit counters shared by every replica. */
  readonly counters: CounterRepository
  readonly statusLists: StatusListRepository
  /** RFC 9449: proof jtis seen at /token, and the keys codes and refresh tokens are bound to. */
  readonly dpopProofs: DpopReplayRepository
  readonly dpopBindings: DpopBindingRepository
  /** Deletes records that can no longer matter: expired codes, refresh tokens, access-token ids, grants, sessions. */
  purgeExpired(now: number): Promise<void>
  close(): Promise<void>
}

export function createStorage(db: Database): Storage {
  return {
    db,
    users: new UserRepository(db),
    clients: new ClientRepository(db),
    consents: new ConsentRepository(db),
    grants: new GrantRepository(db),
    codes: new CodeRepository(db),
    refreshTokens: new RefreshTokenRepository(db),
    accessTokens: new AccessTokenRepository(db),
    keys: new SigningKeyRepository(db),
    sessions: new SessionRepository(db),
    counters: new CounterRepository(db),
    statusLists: new StatusListRepository(db),
    dpopProofs: new DpopReplayRepository(db),
    dpopBindings: new DpopBindingRepository(db),
    async purgeExpired(now) {
      // A day's grace keeps a replayed code or reused refresh token recognisable (and its grant revocable)
      // well after it expired.
      const horizon = now - 86400
      await db.execute('DELETE FROM authorization_codes WHERE expires_at < $1', [horizon])
      await db.execute('DELETE FROM access_tokens WHERE expires_at < $1', [horizon])
      await db.execute(
        'DELETE FROM refresh_tokens WHERE grant_id IN (SELECT id FROM grants WHERE expires_at < $1 OR revoked_at < $1)',
        [horizon],
      )
      // Issue 12, item 12: a grant goes once nothing hangs from it any more: expired or revoked a day ago, or
      // created a day ago and never redeemed (an abandoned /authorize), or redeemed without a refresh token and
      // its access tokens gone.
      await db.execute(
        `DELETE FROM grants WHERE created_at < $1
           AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = grants.id)
           AND NOT EXISTS (SELECT 1 FROM authorization_codes c WHERE c.grant_id = grants.id)
           AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.grant_id = grants.id)`,
        [horizon],
      )
      await db.execute('DELETE FROM sessions WHERE expires_at < $1', [now])
      await db.execute('DELETE FROM signing_keys WHERE drop_after < $1', [horizon])
      await db.execute('DELETE FROM counters WHERE reset_at <= $1', [now * 1000])
      await db.execute('DELETE FROM dpop_proofs WHERE expires_at <= $1', [now * 1000])
      await db.execute('DELETE FROM dpop_bindings WHERE expires_at < $1', [horizon])
    },
    close: () => db.close(),
  }
}

/** Opens the database at `url` (SQLite path or `postgres://…`) and applies pending migrations. */
export async function openStorage(url: string): Promise<Storage> {
  const db = await openDatabase(url)
  try {
    await db.migrate(migrations)
  } catch (error) {
    await db.close()
    throw error
  }
  return createStorage(db)
}
