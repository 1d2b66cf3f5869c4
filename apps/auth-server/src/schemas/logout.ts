import { Type } from 'typebox'
import { openForm, param } from './form.js'

/** OpenID Connect RP-Initiated Logout 1.0 §2, as query (GET) or form (POST). */
export const LogoutParams = Type.Object(
  {
    id_token_hint: param,
    client_id: param,
    post_logout_redirect_uri: param,
    state: param,
    _csrf: param,
  },
  openForm,
)
