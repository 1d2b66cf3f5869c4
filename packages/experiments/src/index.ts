export { readBody } from './body.js'
export {
  type Api,
  type ApiAnswer,
  audienceExperiment,
  type CallApi,
  expiryExperiment,
  isInvalidToken,
  outageExperiment,
  tamperExperiment,
  type Verdict,
} from './experiments.js'
export { type DecodedJwt, decodeJwt, tamper } from './jwt.js'
export {
  type AuthorizeOptions,
  type AuthorizeResult,
  authorize,
  CookieJar,
  parseForm,
  type SignInOptions,
  type SignInResult,
  signIn,
  type TokenAnswer,
  tokenRequest,
} from './oauth-client.js'
export {
  isRevokedAnswer,
  listTtl,
  type RevocationOptions,
  type RevocationRun,
  revocationExperiment,
  statusListOf,
  type TimelineEvent,
} from './revocation.js'
export { STEAL_STEPS, stealExperiment, type Theft } from './steal.js'
