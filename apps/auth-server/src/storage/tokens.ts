import type { Database, Queryable } from '@stateless-auth/sql'
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

interface CodeRow {
  code_hash: string
  grant_id: string
  client_id: string
  redirect_uri: string
  redirect_uri_sent: number
  code_challenge: string
  nonce: string | null
  created_at: number
  expires_at: number
  consumed_at: number | null
}

const toCode = (row: CodeRow): AuthorizationCode => ({
  codeHash: row.code_hash,
  grantId: row.grant_id,
  clientId: row.client_id,
  redirectUri: row.redirect_uri,
  redirectUriSent: row.redirect_uri_sent !== 0,
  codeChallenge: row.code_challenge,
  nonce: row.nonce,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  consumedAt: row.consumed_at,
})

/** The outcome of an atomic redemption: won, already used (a replay), or never existed. */
export type Redemption<T> =
  | { status: 'won'; value: T }
  | { status: 'replayed'; value: T }
  | { status: 'unknown' }

/** The row after a conditional UPDATE, and whether this call (rowCount 1) was the one that changed it. */
function redemption<T>(rowCount: number, value: T | undefined): Redemption<T> {
  if (value === undefined) return { status: 'unknown' }
  return { status: rowCount === 1 ? 'won' : 'replayed', value }
}

export class CodeRepository {
  constructor(private readonly db: Queryable) {}

  async create(code: Omit<AuthorizationCode, 'consumedAt'>): Promise<void> {
    await this.db.execute(
      `INSERT INTO authorization_codes
         (code_hash, grant_id, client_id, redirect_uri, redirect_uri_sent, code_challenge, nonce, created_at,
          expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        code.codeHash,
        code.grantId,
        code.clientId,
        code.redirectUri,
        code.redirectUriSent ? 1 : 0,
        code.codeChallenge,
        code.nonce,
        code.createdAt,
        code.expiresAt,
      ],
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
    const marked = await this.db.execute(
      'UPDATE authorization_codes SET consumed_at = $1 WHERE code_hash = $2 AND consumed_at IS NULL',
      [now, codeHash],
    )
    return redemption(marked.rowCount, await this.find(codeHash))
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

interface RefreshRow {
  token_hash: string
  grant_id: string
  client_id: string
  created_at: number
  expires_at: number
  rotated_at: number | null
  revoked_at: number | null
}

const toRefresh = (row: RefreshRow): RefreshToken => ({
  tokenHash: row.token_hash,
  grantId: row.grant_id,
  clientId: row.client_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  rotatedAt: row.rotated_at,
  revokedAt: row.revoked_at,
})

export class RefreshTokenRepository {
  constructor(private readonly db: Queryable) {}

  async create(token: Omit<RefreshToken, 'rotatedAt' | 'revokedAt'>): Promise<void> {
    await this.db.execute(
      `INSERT INTO refresh_tokens (token_hash, grant_id, client_id, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [token.tokenHash, token.grantId, token.clientId, token.createdAt, token.expiresAt],
    )
  }

  async find(tokenHash: string): Promise<RefreshToken | undefined> {
    const row = await this.db.one<RefreshRow>('SELECT * FROM refresh_tokens WHERE token_hash = $1', [
      tokenHash,
    ])
    return row && toRefresh(row)
  }

  /**
   * Rotation (RFC 9700 §4.14.2): the token is marked rotated by a conditional UPDATE, so exactly one of
   * several concurrent uses wins; a later use of a rotated token is a replay.
   */
  async rotate(tokenHash: string, now: number): Promise<Redemption<RefreshToken>> {
    const marked = await this.db.execute(
      `UPDATE refresh_tokens SET rotated_at = $1
       WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL`,
      [now, tokenHash],
    )
    return redemption(marked.rowCount, await this.find(tokenHash))
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

interface AccessRow {
  jti: string
  grant_id: string | null
  client_id: string
  subject: string
  audience: string
  scope: string
  issued_at: number
  expires_at: number
  revoked_at: number | null
}

/** Records an issued access token, inside the caller's transaction when `db` is one. */
export async function recordAccessToken(
  db: Queryable,
  token: Omit<AccessTokenRecord, 'revokedAt'>,
): Promise<void> {
  await db.execute(
    `INSERT INTO access_tokens (jti, grant_id, client_id, subject, audience, scope, issued_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      token.jti,
      token.grantId,
      token.clientId,
      token.subject,
      token.audience,
      token.scope,
      token.issuedAt,
      token.expiresAt,
    ],
  )
}

/** Issued access-token ids, so revocation (RFC 7009) and introspection (RFC 7662) can answer about a jti. */
export class AccessTokenRepository {
  constructor(private readonly db: Database) {}

  record(token: Omit<AccessTokenRecord, 'revokedAt'>): Promise<void> {
    return recordAccessToken(this.db, token)
  }

  async find(jti: string): Promise<AccessTokenRecord | undefined> {
    const row = await this.db.one<AccessRow>('SELECT * FROM access_tokens WHERE jti = $1', [jti])
    if (!row) return undefined
    return {
      jti: row.jti,
      grantId: row.grant_id,
      clientId: row.client_id,
      subject: row.subject,
      audience: row.audience,
      scope: row.scope,
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
    }
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
