import { Type } from 'typebox'

/** Any id is looked up as a list (an id this server never minted is a 404, not a malformed request). */
export const StatusListParams = Type.Object({ id: Type.String() })

/** The ids this server mints: 12 random bytes, base64url. */
export const LIST_ID = /^[A-Za-z0-9_-]{16}$/

/** draft-ietf-oauth-status-list §9: the Status List Aggregation document. */
export const StatusListsAggregation = Type.Object({ status_lists: Type.Array(Type.String()) })
