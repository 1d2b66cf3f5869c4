/**
 * The registered Status Type values (draft §7.1). 0x03 and 0x0C–0x0F are application-specific; a list's `bits`
 * must be wide enough for every value it holds (SUSPENDED needs `bits` ≥ 2).
 *
 * @example
 * ```ts
 * list.set(idx, StatusType.INVALID)
 * if (list.get(idx) !== StatusType.VALID) refuse()
 * ```
 */
export const StatusType = {
  VALID: 0x00,
  INVALID: 0x01,
  SUSPENDED: 0x02,
} as const

/**
 * The number of bits per status a list may use (draft §4.1 step 1).
 *
 * @example
 * ```ts
 * const bits: StatusListBits = 2
 * ```
 */
export type StatusListBits = 1 | 2 | 4 | 8

/**
 * Every allowed `bits` value.
 *
 * @example
 * ```ts
 * STATUS_LIST_BITS.includes(payload.status_list.bits)
 * ```
 */
export const STATUS_LIST_BITS: readonly StatusListBits[] = [1, 2, 4, 8]

/**
 * Type guard for {@link StatusListBits}.
 *
 * @example
 * ```ts
 * if (!isStatusListBits(claims.bits)) throw new Error('bad bits')
 * ```
 */
export function isStatusListBits(value: unknown): value is StatusListBits {
  return value === 1 || value === 2 || value === 4 || value === 8
}
