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
]
