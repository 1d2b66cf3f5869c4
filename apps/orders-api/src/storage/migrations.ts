import type { Migration } from '@stateless-auth/sql'

export const migrations: Migration[] = [
  {
    id: '001-orders',
    up: `CREATE TABLE orders (
      id TEXT PRIMARY KEY,
      user_sub TEXT NOT NULL,
      client_id TEXT NOT NULL,
      sku TEXT NOT NULL,
      quantity INTEGER NOT NULL CHECK (quantity > 0),
      status TEXT NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX orders_by_user ON orders (user_sub, created_at);`,
  },
  {
    // Idempotency-Key (draft-ietf-httpapi-idempotency-key-header), per subject. completed_at is set in the
    // transaction that inserts the order; while it is NULL the key is in flight until locked_until.
    id: '002-idempotency-keys',
    up: `CREATE TABLE idempotency_keys (
      user_sub TEXT NOT NULL,
      idempotency_key TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      order_id TEXT NOT NULL,
      completed_at BIGINT,
      locked_until BIGINT NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      PRIMARY KEY (user_sub, idempotency_key)
    );
    CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);`,
  },
]
