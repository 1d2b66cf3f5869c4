/**
 * OAuth Token Status List (draft-ietf-oauth-status-list): the compressed status array, the claims of a status
 * list token, and the `status` claim of a referenced token. Framework-free; signing and verifying the JWT itself
 * is left to the caller's JOSE code.
 */
export { STATUS_LIST_ERROR_CODES, StatusListError, type StatusListErrorCode } from './errors.js'
export { readStatusClaim, type StatusListReference } from './status-claim.js'
export {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecodeOptions,
  type EncodeOptions,
  StatusList,
} from './status-list.js'
export { isStatusListBits, STATUS_LIST_BITS, type StatusListBits, StatusType } from './status-types.js'
export {
  DEFAULT_MAX_TTL,
  DEFAULT_MIN_TTL,
  type ReadStatusListClaimsOptions,
  readStatusListClaims,
  STATUS_LIST_AGGREGATION_METADATA,
  STATUS_LIST_JWT_MEDIA_TYPE,
  STATUS_LIST_JWT_TYP,
  type StatusListTokenClaims,
  type StatusListTokenContent,
  type StatusListTokenInput,
  statusListTokenClaims,
} from './token.js'
export { parseHttpUrl } from './uri.js'
