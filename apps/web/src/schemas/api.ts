import { Type } from 'typebox'

/** TypeBox schemas of the JSON routes the page's script calls: they validate requests and type the handlers. */

export const ApiName = Type.Union([Type.Literal('orders'), Type.Literal('inventory')])

export const CallParams = Type.Object({ api: ApiName })

/** Experiment names are looked up in a registry; an unknown one is a 404, not a validation error. */
export const ExperimentParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) })

/** The page posts `{}`: what it wants is in the path; the session cookie says who asks. */
export const EmptyBody = Type.Object({})

/** Every refusal of a JSON route, in the RFC 6749 §5.2 shape. */
export const ErrorBody = Type.Object({ error: Type.String(), error_description: Type.String() })

const Counter = Type.Object({ before: Type.Optional(Type.Number()), after: Type.Optional(Type.Number()) })

/** One call to an API as the page shows it: the request, the answer, and the API's counters around it. */
const CallFields = {
  api: ApiName,
  request: Type.Object({
    method: Type.String(),
    url: Type.String(),
    kid: Type.Optional(Type.String()),
    aud: Type.Optional(Type.Unknown()),
    scheme: Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')]),
  }),
  status: Type.Optional(Type.Integer()),
  body: Type.Optional(Type.Unknown()),
  wwwAuthenticate: Type.Optional(Type.String()),
  networkError: Type.Optional(Type.String()),
  /** Why earlier attempts of an idempotent call failed, when it was sent again (`ECONNRESET`, `503`, …). */
  retried: Type.Optional(Type.Array(Type.String())),
  observation: Type.Object({ jwksFetches: Counter, verified: Counter, failed: Counter }),
}
export const ObservedCall = Type.Object(CallFields)

/** A call, and when it was refused as invalid_token and retried after a refresh, the refused one. */
export const CallResult = Type.Object({ ...CallFields, retriedAfter: Type.Optional(ObservedCall) })

export const ExperimentResult = Type.Object({
  name: Type.String(),
  /** `as-explained`: it behaved as the sentence says; `unexpected`: it did not; `not-run`: not possible here. */
  outcome: Type.Union([Type.Literal('as-explained'), Type.Literal('unexpected'), Type.Literal('not-run')]),
  explanation: Type.String(),
  steps: Type.Array(
    Type.Object({
      label: Type.String(),
      call: Type.Optional(ObservedCall),
      detail: Type.Optional(Type.Unknown()),
    }),
  ),
})
