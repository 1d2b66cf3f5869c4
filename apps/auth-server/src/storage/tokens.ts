import type { Database, Queryable } from '@stateless-auth/sql'
import { fromRow, insertRow, oneRecord, type Snaked } from './rows.js'
import { invalidateStatuses } from './status-lists.js'

export interface AuthorizationCode {
  codeHash: string
  grantId: string
  clientId: string
  redirectUri: string
  /** Whether the authorization request carried `redirect_uri` (RFC 6749 §4.1.3 then requires it at /token). */
  redirectUriSent: boolean
  codeChallenge: string
  nonce: string | null
  createdAt: number
  expiresAt: number
  consumedAt: number | null
}

/** SQL has no booleans on both backends: `redirect_uri_sent` is 0 or 1. */
type CodeRow = Snaked<Omit<AuthorizationCode, 'redirectUriSent'>> & { redirect_uri_sent: number }

const toCode = (row: CodeRow): AuthorizationCode => ({
  ...fromRow(row),
  redirectUriSent: row.redirect_uri_sent !== 0,
})

/** The outcome of an atomic redemption: won, already used (a replay), or never existed. */
export type Redemption<T> =
  | { status: 'won'; value: T }
  | { status: 'replayed'; value: T }
  | { status: 'unknown' }

/** Runs a conditional UPDATE, then reads the row back: whether this call (rowCount 1) was the one that changed it. */
async function redeem<T>(
  update: Promise<{ rowCount: number }>,
  find: () => Promise<T | undefined>,
): Promise<Redemption<T>> {
  const { rowCount } = await update
  const value = await find()
  if (value === undefined) return { status: 'unknown' }
  return { status: rowCount === 1 ? 'won' : 'replayed', value }
}

export class CodeRepository {
  constructor(private readonly db: Queryable) {}

  async create(code: Omit<AuthorizationCode, 'consumedAt'>): Promise<void> {
    await insertRow(
      this.db,
      'authorization_codes',
      [
        'codeHash',
        'grantId',
        'clientId',
        'redirectUri',
        'redirectUriSent',
        'codeChallenge',
        'nonce',
        'createdAt',
        'expiresAt',
      ],
      { ...code, redirectUriSent: code.redirectUriSent ? 1 : 0 },
    )
  }

  /** Reads a code without using it up (to refuse a malformed redemption before the code is burnt). */
  async find(codeHash: string): Promise<AuthorizationCode | undefined> {
    const row = await this.db.one<CodeRow>('SELECT * FROM authorization_codes WHERE code_hash = $1', [
      codeHash,
    ])
    return row && toCode(row)
  }

  /**
   * Marks the code used with a conditional UPDATE: of any number of concurrent redemptions exactly one sees
   * rowCount 1 (RFC 6749 §4.1.2: a code is single-use).
   */
  async consume(codeHash: string, now: number): Promise<Redemption<AuthorizationCode>> {
    return redeem(
      this.db.execute(
        'UPDATE authorization_codes SET consumed_at = $1 WHERE code_hash = $2 AND consumed_at IS NULL',
        [now, codeHash],
      ),
      () => this.find(codeHash),
    )
  }
}

export interface RefreshToken {
  tokenHash: string
  grantId: string
  clientId: string
  createdAt: number
  /** Idle expiry: each rotation starts a new one, capped by the grant's absolute expiry. */
  expiresAt: number
  rotatedAt: number | null
  revokedAt: number | null
}

export class RefreshTokenRepository {
  constructor(private readonly db: Queryable) {}

  async create(token: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'>): Promise<void> {
    await insertRow(
      this.db,
      'refresh_tokens',
      ['tokenHash', 'grantId', 'clientId', 'createdAt', 'expiresAt'],
      token,
    )
  }

  async find(tokenHash: string): Promise<RefreshToken | undefined> {
    return oneRecord(this.db, 'SELECT * FROM refresh_tokens WHERE token_hash = $1', [tokenHash])
  }

  /**
   * Rotation (RFC 9700 §4.14.2): the token is marked rotated by a conditional UPDATE, so exactly one of
   * several concurrent uses wins; a later use of a rotated token is a replay.
   */
  async rotate(tokenHash: string, now: number): Promise<Redemption<RefreshToken>> {
    return redeem(
      this.db.execute(
        `UPDATE refresh_tokens SET rotated_at = $1
         WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL`,
        [now, tokenHash],
      ),
      () => this.find(tokenHash),
    )
  }
}

export interface AccessTokenRecord {
  jti: string
  grantId: string | null
  clientId: string
  subject: string
  audience: string
  scope: string
  issuedAt: number
  expiresAt: number
  revokedAt: number | null
}

/** Records an issued access token, inside the caller's transaction when `db` is one. */
export async function recordAccessToken(
  db: Queryable,
  token: Omit<AccessTokenRecord, 'revokedAt'>,
): Promise<void> {
  await insertRow(
    db,
    'access_tokens',
    ['jti', 'grantId', 'clientId', 'subject', 'audience', 'scope', 'issuedAt', 'expiresAt'],
    token,
  )
}

/** Issued access-token ids, so revocation (RFC 7009) and introspection (RFC 7662) can answer about a jti. */
export class AccessTokenRepository {
  constructor(private readonly db: Database) {}

  record(token: Omit<AccessTokenRecord, 'revokedAt'>): Promise<void> {
    return recordAccessToken(this.db, token)
  }

  async find(jti: string): Promise<AccessTokenRecord | undefined> {
    return oneRecord(this.db, 'SELECT * FROM access_tokens WHERE jti = $1', [jti])
  }

  /** Revokes the token and sets its status-list entry to INVALID in one transaction. */
  async revoke(jti: string, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rowCount } = await tx.execute(
        'UPDATE access_tokens SET revoked_at = $1 WHERE jti = $2 AND revoked_at IS NULL',
        [now, jti],
      )
      await invalidateStatuses(tx, { jti }, now)
      return rowCount === 1
    })
  }
}
