import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto'
import { KeyStoreError } from '../errors.js'

// Private signing keys at rest: AES-256-GCM under a key derived with scrypt from KEY_ENCRYPTION_SECRET.
// The key id is bound as additional authenticated data, so an envelope cannot be moved to another row.
const PREFIX = 'aes-256-gcm:v1'

const derived = new Map<string, Buffer>()
function deriveKey(secret: string, salt: Buffer): Buffer {
  const cacheKey = `${salt.toString('base64url')}:${secret}`
  let key = derived.get(cacheKey)
  if (!key) {
    key = scryptSync(secret, salt, 32, { N: 16384, r: 8, p: 1 })
    derived.set(cacheKey, key)
  }
  return key
}

export function isEncrypted(stored: string): boolean {
  return stored.startsWith(`${PREFIX}:`)
}

export function encryptPrivateKey(plaintext: string, kid: string, secret: string | undefined): string {
  if (!secret) return plaintext
  const salt = randomBytes(16)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret, salt), iv)
  cipher.setAAD(Buffer.from(kid))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [PREFIX, salt, iv, cipher.getAuthTag(), body]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join(':')
}

export function decryptPrivateKey(stored: string, kid: string, secret: string | undefined): string {
  if (!isEncrypted(stored)) return stored
  if (!secret) {
    throw new KeyStoreError(`signing key ${kid} is encrypted at rest: set KEY_ENCRYPTION_SECRET to use it`)
  }
  const parts = stored.slice(PREFIX.length + 1).split(':')
  const [salt, iv, tag, body] = parts.map((p) => Buffer.from(p, 'base64url'))
  if (parts.length !== 4 || !salt || !iv || !tag || !body)
    throw new KeyStoreError(`signing key ${kid} is corrupt`)
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret, salt), iv)
    decipher.setAAD(Buffer.from(kid))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
  } catch {
    throw new KeyStoreError(`signing key ${kid} cannot be decrypted: wrong KEY_ENCRYPTION_SECRET?`)
  }
}
