import { createHash } from 'node:crypto'
import type { Queryable } from '@stateless-auth/sql'

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url')

export interface CodeRow {
  code_hash: string
  grant_id: string
  consumed_at: number | null
}
export interface RefreshRow {
  token_hash: string
  grant_id: string
  rotated_at: number | null
  revoked_at: number | null
}
export interface GrantState {
  /** Grants with at least one access-token row. */
  withAccessToken: ReadonlySet<string>
  revoked: ReadonlySet<string>
}

/**
 * RFC 6749 §4.1.2's single use, checked in the database: every authorization code is unused, or consumed with the
 * tokens it yields recorded (an access-token row and, for a client that refreshes, a refresh token), never half.
 */
export function checkCodes(
  codes: readonly CodeRow[],
  refresh: readonly RefreshRow[],
  grants: GrantState,
): string[] {
  const withRefresh = new Set(refresh.map((r) => r.grant_id))
  const half = codes.filter(
    (c) =>
      c.consumed_at !== null &&
      !grants.revoked.has(c.grant_id) &&
      (!grants.withAccessToken.has(c.grant_id) || !withRefresh.has(c.grant_id)),
  )
  return half.length === 0
    ? []
    : [`${half.length} of ${codes.length} codes consumed without their tokens recorded`]
}

/**
 * Refresh rotation (RFC 9700 §4.14.2), checked in the database: a family that is not revoked has exactly one live
 * token. Two live tokens mean a token was redeemed twice (a family both rotated and valid); none means a rotation
 * was half done and the family is lost.
 */
export function checkFamilies(refresh: readonly RefreshRow[], revoked: ReadonlySet<string>): string[] {
  const live = new Map<string, number>()
  for (const r of refresh) {
    if (revoked.has(r.grant_id)) continue
    live.set(
      r.grant_id,
      (live.get(r.grant_id) ?? 0) + (r.rotated_at === null && r.revoked_at === null ? 1 : 0),
    )
  }
  const doubled = [...live.values()].filter((n) => n > 1).length
  const lost = [...live.values()].filter((n) => n === 0).length
  return [
    ...(doubled ? [`${doubled} refresh-token families with more than one live token`] : []),
    ...(lost ? [`${lost} refresh-token families rotated without a successor (lost)`] : []),
  ]
}

/** Tokens a client received in 200 answers that the database does not know (issued without their row). */
export function unrecorded(received: readonly string[], recorded: ReadonlySet<string>): string[] {
  const missing = received.filter((value) => !recorded.has(value))
  return missing.length === 0 ? [] : [`${missing.length} of ${received.length} issued tokens have no row`]
}

/** The auth-server's grant state, read from its database. */
export async function readAuthState(db: Queryable) {
  const [codes, refresh, access, revoked] = await Promise.all([
    db.query<CodeRow>('SELECT code_hash, grant_id, consumed_at FROM authorization_codes'),
    db.query<RefreshRow>('SELECT token_hash, grant_id, rotated_at, revoked_at FROM refresh_tokens'),
    db.query<{ jti: string; grant_id: string | null }>('SELECT jti, grant_id FROM access_tokens'),
    db.query<{ id: string }>('SELECT id FROM grants WHERE revoked_at IS NOT NULL'),
  ])
  return {
    codes,
    refresh,
    jtis: new Set(access.map((a) => a.jti)),
    refreshHashes: new Set(refresh.map((r) => r.token_hash)),
    grants: {
      withAccessToken: new Set(access.flatMap((a) => (a.grant_id ? [a.grant_id] : []))),
      revoked: new Set(revoked.map((g) => g.id)),
    } satisfies GrantState,
  }
}

/** Every invariant of the auth-server's database at once. */
export async function checkAuthDatabase(
  db: Queryable,
  received: { jtis: string[]; refreshTokens: string[] },
) {
  const state = await readAuthState(db)
  return [
    ...checkCodes(state.codes, state.refresh, state.grants),
    ...checkFamilies(state.refresh, state.grants.revoked),
    ...unrecorded(received.jtis, state.jtis),
    ...unrecorded(received.refreshTokens.map(sha256), state.refreshHashes),
  ]
}

/** The `jti` of a JWT, read without verifying it (the scenarios verify separately). */
export function jtiOf(jwt: string): string {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    jti?: string
  }
  return payload.jti ?? ''
}

/** Reservations at inventory-api still holding stock whose id is no order at orders-api (compensation missing). */
export async function orphanReservations(inventory: Queryable, orders: Queryable): Promise<string[]> {
  const held = await inventory.query<{ id: string }>('SELECT id FROM reservations WHERE released_at IS NULL')
  const placed = new Set((await orders.query<{ id: string }>('SELECT id FROM orders')).map((o) => o.id))
  return held.map((r) => r.id).filter((id) => !placed.has(id))
}
