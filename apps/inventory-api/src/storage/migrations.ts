import type { Migration } from '@stateless-auth/sql'

export const migrations: Migration[] = [
  {
    id: '001-items',
    // The CHECK is a second line of defence: the reserve UPDATE is already conditional on enough stock.
    up: `CREATE TABLE items (
      sku TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      stock INTEGER NOT NULL CHECK (stock >= 0),
      updated_at BIGINT NOT NULL
    );`,
  },
  {
    id: '002-reservations',
    up: `CREATE TABLE reservations (
      id TEXT PRIMARY KEY,
      sku TEXT NOT NULL REFERENCES items (sku),
      quantity INTEGER NOT NULL CHECK (quantity > 0),
      client_id TEXT NOT NULL,
      created_at BIGINT NOT NULL
    );`,
  },
  {
    id: '003-seed-demo-stock',
    up: `INSERT INTO items (sku, name, stock, updated_at) VALUES
      ('widget-blue', 'Blue widget', 100, 0),
      ('widget-red', 'Red widget', 25, 0),
      ('gadget', 'Gadget', 10, 0),
      ('gizmo', 'Gizmo (sold out)', 0, 0);`,
  },
  {
    // A released reservation stays recorded (its id can never reserve again) with the time its stock came back.
    id: '004-reservation-release',
    up: 'ALTER TABLE reservations ADD COLUMN released_at BIGINT;',
  },
]
