import { Type } from 'typebox'
import { openForm, param } from './form.js'

/** RFC 6749 §4.1.1 with RFC 7636, RFC 8707 and OpenID Connect's `nonce` and `prompt`, as query or form (GET/POST). */
export const AuthorizationParams = Type.Object(
  {
    response_type: param,
    client_id: param,
    redirect_uri: param,
    scope: param,
    state: param,
    code_challenge: param,
    code_challenge_method: param,
    resource: param,
    nonce: param,
    prompt: param,
    max_age: param,
    dpop_jkt: param,
  },
  openForm,
)

/** The login form; `return_to` carries the authorization request back, `_csrf` is checked by @fastify/csrf-protection. */
export const LoginForm = Type.Object(
  { return_to: param, username: param, password: param, _csrf: param },
  openForm,
)

/** The consent form: `decision` is `allow` or `deny`. */
export const ConsentForm = Type.Object({ return_to: param, decision: param, _csrf: param }, openForm)
