import type { Database, Queryable } from '@stateless-auth/sql'

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
  /** One order of one user, or undefined (also when it is another user's). */
  find(userSub: string, id: string): Promise<Order | undefined>
  /**
   * Records an order. `alsoDo` runs in the same transaction (recording its Idempotency-Key): when it throws,
   * no order is recorded.
   */
  insert(
    order: {
      id: string
      userSub: string
      clientId: string
      sku: string
      quantity: number
    },
    alsoDo?: (tx: Queryable) => Promise<void>,
  ): Promise<Order>
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
    async find(userSub, id) {
      const row = await db.one<OrderRow>(
        'SELECT id, sku, quantity, status, created_at FROM orders WHERE user_sub = $1 AND id = $2',
        [userSub, id],
      )
      return row && toOrder(row)
    },
    async insert(order, alsoDo) {
      const row: OrderRow = {
        id: order.id,
        sku: order.sku,
        quantity: order.quantity,
        status: 'confirmed',
        created_at: now(),
      }
      await db.transaction(async (tx) => {
        await tx.execute(
          `INSERT INTO orders (id, user_sub, client_id, sku, quantity, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [row.id, order.userSub, order.clientId, row.sku, row.quantity, row.status, row.created_at],
        )
        await alsoDo?.(tx)
      })
      return toOrder(row)
    },
  }
}
