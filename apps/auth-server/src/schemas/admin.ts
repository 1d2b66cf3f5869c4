import { Type } from 'typebox'

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 128 }) })

export const UserStatus = Type.Object({ username: Type.String(), disabled: Type.Boolean() })

export const RotatedKey = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  activates_at: Type.Integer(),
})

export const KeyList = Type.Object({
  keys: Type.Array(
    Type.Object({
      kid: Type.String(),
      alg: Type.String(),
      created_at: Type.Integer(),
      activates_at: Type.Integer(),
      retires_at: Type.Union([Type.Integer(), Type.Null()]),
      drop_after: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
})
