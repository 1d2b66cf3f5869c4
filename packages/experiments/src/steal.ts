import { DpopKey } from '@stateless-auth/dpop-client'
import type { ApiAnswer } from './experiments.js'

/**
 * "Steal the token" (RFC 9449): what a thief who copied a token from a log, a proxy or a browser's storage can do
 * with it, side by side for a plain Bearer token and a DPoP-bound one. Every request is `GET <url>` at orders-api.
 */
export interface Theft<A extends ApiAnswer> {
  /** The orders-api URL the requests go to, which proofs name (`htu`). */
  url: string
  /** An unbound (Bearer) orders-api token, as stolen. */
  bearerToken: string
  /** A DPoP-bound orders-api token (`cnf.jkt`), as stolen. */
  boundToken: string
  /** A proof the rightful client signs with its key for `GET url` and `boundToken`: the thief can only copy it. */
  rightfulProof: () => Promise<string> | string
  /** Sends `GET url` with exactly these headers, as anyone holding them could. */
  send: (headers: { authorization: string; dpop?: string }) => Promise<A>
}

const seen = (answer: ApiAnswer) => String(answer.status ?? answer.networkError)
const refused = (answer: ApiAnswer, error: string) =>
  answer.status === 401 && (answer.wwwAuthenticate ?? '').includes(`error="${error}"`)

/**
 * Runs the thefts in order: the stolen Bearer token (accepted: it works until it expires); the stolen bound token
 * as Bearer (refused: `invalid_token`); with a proof of the thief's own key (refused: the key is not the one the
 * token names); the rightful client's request (200), then its proof replayed by the thief who captured it from the
 * wire (refused: `invalid_dpop_proof`, its `jti` was seen).
 */
export async function stealExperiment<A extends ApiAnswer>(theft: Theft<A>) {
  const { url, boundToken, send } = theft
  const bearer = await send({ authorization: `Bearer ${theft.bearerToken}` })
  const asBearer = await send({ authorization: `Bearer ${boundToken}` })
  const thiefKey = DpopKey.generate()
  const ownProof = await send({
    authorization: `DPoP ${boundToken}`,
    dpop: thiefKey.proof({ method: 'GET', url, accessToken: boundToken }),
  })
  const proof = await theft.rightfulProof()
  const rightful = await send({ authorization: `DPoP ${boundToken}`, dpop: proof })
  const replayed = await send({ authorization: `DPoP ${boundToken}`, dpop: proof })
  const ok =
    bearer.status === 200 &&
    refused(asBearer, 'invalid_token') &&
    refused(ownProof, 'invalid_token') &&
    rightful.status === 200 &&
    refused(replayed, 'invalid_dpop_proof')
  return {
    bearer,
    asBearer,
    ownProof,
    rightful,
    replayed,
    ok,
    explanation: ok
      ? 'The stolen Bearer token worked for the thief (200) and will until it expires. The stolen DPoP-bound token did not: sent as Bearer it was refused (its cnf.jkt demands a proof), with a proof of the thief’s own key the key did not match cnf.jkt, and the proof captured from the rightful request was refused as a replay (its jti was already used). Only the client holding the private key got 200.'
      : `Expected 200, 401, 401, 200, 401; got ${[bearer, asBearer, ownProof, rightful, replayed].map(seen).join(', ')}.`,
  }
}

/** Why each answer of {@link stealExperiment} is what it is, in the order it runs: for the page and the narration. */
export const STEAL_STEPS = [
  [
    'bearer',
    'thief: stolen Bearer token',
    'a Bearer token is accepted from whoever holds it, until it expires',
  ],
  [
    'asBearer',
    'thief: stolen DPoP-bound token sent as Bearer',
    'a token with cnf.jkt is never accepted as Bearer',
  ],
  [
    'ownProof',
    'thief: bound token with a proof of the thief’s own key',
    'the proof’s key is not the one cnf.jkt names',
  ],
  [
    'rightful',
    'rightful client: bound token with its own fresh proof',
    'the key matches cnf.jkt and the proof is new',
  ],
  [
    'replayed',
    'thief: the rightful proof captured and replayed',
    'the proof’s jti was already used: a replay',
  ],
] as const
