import { type Database, isUniqueViolation } from '@stateless-auth/sql'
import {
  InsufficientStockError,
  ReservationConflictError,
  ReservationReleasedError,
  UnknownReservationError,
  UnknownSkuError,
} from '../errors.js'

export interface Item {
  sku: string
  name: string
  stock: number
}

export interface Reservation {
  id: string
  sku: string
  quantity: number
  /** Stock left right after this reservation (or now, for a replayed one). */
  remaining: number
  /** True when this id had already been reserved (or released) and nothing changed. */
  replayed: boolean
}

export interface InventoryStore {
  list(): Promise<Item[]>
  get(sku: string): Promise<Item | undefined>
  /**
   * Takes `quantity` off the stock of `sku`, once per reservation id. Throws `UnknownSkuError`,
   * `InsufficientStockError` or `ReservationConflictError`; stock never goes below zero.
   */
  reserve(input: { id: string; sku: string; quantity: number; clientId: string }): Promise<Reservation>
  /**
   * Gives the stock of a reservation back, once: releasing it again changes nothing (`replayed`). Only the client
   * that reserved can release; anything else is `UnknownReservationError`. A released id never reserves again.
   */
  release(input: { id: string; sku: string; clientId: string }): Promise<Reservation>
}

export function createInventoryStore(db: Database, now: () => number = Date.now): InventoryStore {
  const get = (sku: string) => db.one<Item>('SELECT sku, name, stock FROM items WHERE sku = $1', [sku])

  async function replay(id: string, sku: string, quantity: number): Promise<Reservation> {
    const existing = await db.one<{ sku: string; quantity: number; released_at: number | null }>(
      'SELECT sku, quantity, released_at FROM reservations WHERE id = $1',
      [id],
    )
    if (!existing) throw new Error(`reservation ${id} vanished`)
    if (existing.sku !== sku || existing.quantity !== quantity) throw new ReservationConflictError(id)
    if (existing.released_at !== null) throw new ReservationReleasedError(id)
    const item = await get(sku)
    return { id, sku, quantity, remaining: item?.stock ?? 0, replayed: true }
  }

  return {
    list: () => db.query<Item>('SELECT sku, name, stock FROM items ORDER BY sku'),
    get,
    async reserve({ id, sku, quantity, clientId }) {
      try {
        return (
          (await db.transaction(async (tx) => {
            const existing = await tx.one('SELECT 1 AS found FROM reservations WHERE id = $1', [id])
            if (existing) return undefined
            // One conditional statement decides: concurrent reservations serialise on the row, and the loser
            // matches no row instead of driving the stock negative.
            const [updated] = await tx.query<{ stock: number }>(
              'UPDATE items SET stock = stock - $1, updated_at = $3 WHERE sku = $2 AND stock >= $1 RETURNING stock',
              [quantity, sku, now()],
            )
            if (!updated) {
              const item = await tx.one<{ stock: number }>('SELECT stock FROM items WHERE sku = $1', [sku])
              if (!item) throw new UnknownSkuError(sku)
              throw new InsufficientStockError(sku, quantity, item.stock)
            }
            await tx.execute(
              'INSERT INTO reservations (id, sku, quantity, client_id, created_at) VALUES ($1, $2, $3, $4, $5)',
              [id, sku, quantity, clientId, now()],
            )
            return { id, sku, quantity, remaining: updated.stock, replayed: false }
          })) ?? (await replay(id, sku, quantity))
        )
      } catch (error) {
        // Two concurrent requests with the same id on PostgreSQL: the second insert fails and rolls back its
        // own decrement; it answers like a replay.
        if (isUniqueViolation(error)) return replay(id, sku, quantity)
        throw error
      }
    },
    release: ({ id, sku, clientId }) =>
      db.transaction(async (tx) => {
        const found = await tx.one<{ quantity: number }>(
          'SELECT quantity FROM reservations WHERE id = $1 AND sku = $2 AND client_id = $3',
          [id, sku, clientId],
        )
        if (!found) throw new UnknownReservationError(id, sku)
        // The conditional UPDATE decides which of concurrent releases gives the stock back: exactly one matches.
        const { rowCount } = await tx.execute(
          'UPDATE reservations SET released_at = $1 WHERE id = $2 AND released_at IS NULL',
          [now(), id],
        )
        const [item] =
          rowCount === 1
            ? await tx.query<{ stock: number }>(
                'UPDATE items SET stock = stock + $1, updated_at = $3 WHERE sku = $2 RETURNING stock',
                [found.quantity, sku, now()],
              )
            : await tx.query<{ stock: number }>('SELECT stock FROM items WHERE sku = $1', [sku])
        return { id, sku, quantity: found.quantity, remaining: item?.stock ?? 0, replayed: rowCount !== 1 }
      }),
  }
}
