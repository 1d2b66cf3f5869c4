import type { AuthServerContext } from '../context.js'
import { sha256 } from '../crypto.js'
import type { AccessTokenRecord, Grant, RefreshToken } from '../storage/index.js'
import type { IssuedAccessTokenClaims } from '../tokens.js'

export type FoundToken =
  | { kind: 'refresh_token'; token: RefreshToken; grant: Grant | undefined }
  | {
      kind: 'access_token'
      claims: IssuedAccessTokenClaims
      record: AccessTokenRecord
      grant: Grant | undefined
    }

/**
 * Finds a token this server issued, whatever its state (expired, revoked…). `hint` (RFC 7009 §2.1,
 * RFC 7662 §2.1) only decides which kind is tried first.
 */
export async function findToken(
  ctx: AuthServerContext,
  token: string,
  hint?: string,
): Promise<FoundToken | undefined> {
  const asRefresh = async (): Promise<FoundToken | undefined> => {
    const found = await ctx.storage.refreshTokens.find(sha256(token))
    if (!found) return undefined
    return { kind: 'refresh_token', token: found, grant: await ctx.storage.grants.find(found.grantId) }
  }
  const asAccess = async (): Promise<FoundToken | undefined> => {
    const claims = await ctx.tokens.verifyAccessToken(token, { allowExpired: true })
    if (!claims) return undefined
    const record = await ctx.storage.accessTokens.find(claims.jti)
    if (!record) return undefined
    const grant = record.grantId ? await ctx.storage.grants.find(record.grantId) : undefined
    return { kind: 'access_token', claims, record, grant }
  }
  const order = hint === 'refresh_token' ? [asRefresh, asAccess] : [asAccess, asRefresh]
  for (const attempt of order) {
    const found = await attempt()
    if (found) return found
  }
  return undefined
}

/** Whether a found token may still be used at `now`: not revoked, not rotated, not expired, grant alive, user enabled. */
export async function isActive(ctx: AuthServerContext, found: FoundToken, now: number): Promise<boolean> {
  const grantAlive = (grant: Grant | undefined) =>
    !grant || (grant.revokedAt === null && grant.expiresAt > now)
  if (found.kind === 'refresh_token') {
    const { token, grant } = found
    if (!grant || token.rotatedAt !== null || token.revokedAt !== null || token.expiresAt <= now) return false
    if (!grantAlive(grant)) return false
    const user = await ctx.storage.users.findById(grant.userId)
    return Boolean(user && user.disabledAt === null)
  }
  const { claims, record, grant } = found
  if (record.revokedAt !== null || claims.exp <= now || !grantAlive(grant)) return false
  if (!grant) return true
  const user = await ctx.storage.users.findById(grant.userId)
  return Boolean(user && user.disabledAt === null)
}
