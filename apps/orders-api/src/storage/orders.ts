import type { Database } from '@stateless-auth/sql'

export interface Order {
  id: string
  sku: string
  quantity: number
  status: 'confirmed'
  created_at: string
}

interface OrderRow {
  id: string
  sku: string
  quantity: number
  status: 'confirmed'
  created_at: number
}

export interface OrderStore {
  /** The orders of one user (`sub`), newest first: there is no query that crosses users. */
  listFor(userSub: string, limit: number): Promise<Order[]>
  insert(order: {
    id: string
    userSub: string
    clientId: string
    sku: string
    quantity: number
  }): Promise<Order>
}

const toOrder = (row: OrderRow): Order => ({ ...row, created_at: new Date(row.created_at).toISOString() })

export function createOrderStore(db: Database, now: () => number = Date.now): OrderStore {
  return {
    async listFor(userSub, limit) {
      const rows = await db.query<OrderRow>(
        `SELECT id, sku, quantity, status, created_at FROM orders
         WHERE user_sub = $1 ORDER BY created_at DESC, id LIMIT $2`,
        [userSub, limit],
      )
      return rows.map(toOrder)
    },
    async insert(order) {
      const row: OrderRow = {
        id: order.id,
        sku: order.sku,
        quantity: order.quantity,
        status: 'confirmed',
        created_at: now(),
      }
      await db.execute(
        `INSERT INTO orders (id, user_sub, client_id, sku, quantity, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [row.id, order.userSub, order.clientId, row.sku, row.quantity, row.status, row.created_at],
      )
      return toOrder(row)
    },
  }
}
