import { type Static, Type } from 'typebox'
import { openForm, param } from './form.js'

/** RFC 6749 §2.3.1: client credentials in the form, where the client does not use HTTP Basic. */
export const clientCredentials = { client_id: param, client_secret: param }

/** RFC 6749 §4.1.3, §4.4.2 and §6 token requests, with RFC 7636 `code_verifier` and RFC 8707 `resource`. */
export const TokenRequest = Type.Object(
  {
    ...clientCredentials,
    grant_type: param,
    code: param,
    redirect_uri: param,
    code_verifier: param,
    refresh_token: param,
    scope: param,
    resource: param,
  },
  openForm,
)

/** RFC 6749 §5.1 successful token response; every member is declared, so the serializer drops none. */
export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')]),
  expires_in: Type.Integer(),
  scope: Type.String(),
  refresh_token: Type.Optional(Type.String()),
  id_token: Type.Optional(Type.String()),
})
export type TokenResponse = Static<typeof TokenResponse>

/** RFC 7009 §2.1 and RFC 7662 §2.1: the token a client asks about, and an optional hint of its kind. */
export const TokenQuestion = Type.Object(
  { ...clientCredentials, token: param, token_type_hint: param },
  openForm,
)

/**
 * RFC 7662 §2.2 introspection response. Every member this server can send is declared (an inactive token is
 * `active` alone), so the serializer drops none.
 */
const ActiveTokenMembers = Type.Partial(
  Type.Object({
    token_type: Type.String(),
    scope: Type.String(),
    client_id: Type.String(),
    username: Type.String(),
    sub: Type.String(),
    aud: Type.Union([Type.String(), Type.Array(Type.String())]),
    iss: Type.String(),
    iat: Type.Integer(),
    exp: Type.Integer(),
    jti: Type.String(),
    auth_time: Type.Integer(),
    /** RFC 9449 §6.2: the key a DPoP-bound token is bound to. */
    cnf: Type.Object({ jkt: Type.String() }),
  }),
)
export const IntrospectionResponse = Type.Object({ active: Type.Boolean(), ...ActiveTokenMembers.properties })

/** Route schemas of the client-authenticated endpoints. */
export const tokenSchema = { body: TokenRequest, response: { 200: TokenResponse } }
export const revocationSchema = { body: TokenQuestion }
export const introspectionSchema = { body: TokenQuestion, response: { 200: IntrospectionResponse } }
