import { Type } from 'typebox'
import { openForm, param } from './form.js'

/** RFC 6750 §2.2: a POST may carry the access token in the form instead of the Authorization header. */
export const UserinfoForm = Type.Object({ access_token: param }, openForm)

/** OpenID Connect Core §5.3.2: `sub`, plus the profile claims (§5.4) when the token carries `profile`. */
export const UserinfoResponse = Type.Object({
  sub: Type.String(),
  name: Type.Optional(Type.String()),
  preferred_username: Type.Optional(Type.String()),
})
