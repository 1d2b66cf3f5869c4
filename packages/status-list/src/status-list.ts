import { constants as bufferConstants } from 'node:buffer'
import { promisify } from 'node:util'
import { deflate, deflateSync, inflateSync, type ZlibOptions, constants as zlibConstants } from 'node:zlib'
import { decodeBase64url } from './base64url.js'
import { statusListError } from './errors.js'
import { isStatusListBits, type StatusListBits } from './status-types.js'

/**
 * Default cap on the inflated size of a received `lst`: 16 MiB, i.e. 134,217,728 entries at 1 bit, above the
 * draft's largest size example (100 M entries, §A). An `lst` fits in a JWT of a few kilobytes but can inflate
 * about a thousandfold, so a consumer must say how much it is willing to hold.
 *
 * @example
 * ```ts
 * StatusList.decode(lst, 1, { maxBytes: DEFAULT_MAX_DECOMPRESSED_BYTES / 16 })
 * ```
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024

/** Options of {@link StatusList.decode}. */
export interface DecodeOptions {
  /** Largest inflated byte array accepted, in bytes. Default {@link DEFAULT_MAX_DECOMPRESSED_BYTES}. */
  maxBytes?: number
}

/** Options of {@link StatusList.encode}. */
export interface EncodeOptions {
  /**
   * DEFLATE strategy at level 9. `'default'` (the default) is what the draft's reference implementation and test
   * vectors use. `'rle'` (zlib's Z_RLE: runs only, no distant matches) is one to two orders of magnitude faster on
   * sparse lists, at a size within about 10 % of the default's, smaller or larger depending on the list (README,
   * Figures); any ZLIB decoder reads both.
   */
  strategy?: 'default' | 'rle'
}

const deflateAsync = promisify(deflate)

function zlibOptions(options: EncodeOptions): ZlibOptions {
  const strategy = options.strategy ?? 'default'
  if (strategy !== 'default' && strategy !== 'rle') {
    throw new RangeError("strategy must be 'default' or 'rle'")
  }
  return {
    level: zlibConstants.Z_BEST_COMPRESSION,
    strategy: strategy === 'rle' ? zlibConstants.Z_RLE : zlibConstants.Z_DEFAULT_STRATEGY,
  }
}

interface InflateResult {
  buffer: Buffer
  engine: { bytesWritten: number }
}

/**
 * A Token Status List (draft-ietf-oauth-status-list §4): a fixed number of entries of `bits` bits each, packed
 * into bytes from the least significant bit up, so entry 0 is the lowest `bits` bits of byte 0 (§4.1 step 3).
 * Every entry starts as VALID (0x00), the value the draft recommends as default (§13.3).
 *
 * @example
 * ```ts
 * const list = new StatusList(1_000_000, 1)
 * list.set(42, StatusType.INVALID)
 * const lst = list.encode() // for the status list token's `status_list.lst`
 * StatusList.decode(lst, 1).get(42) // 1
 * ```
 */
export class StatusList {
  /** Bits per entry: 1, 2, 4 or 8. */
  readonly bits: StatusListBits
  /** Number of entries; valid indices are `0 … size - 1`. A decoded list has `byteLength × 8 / bits` entries. */
  readonly size: number
  #bytes: Uint8Array
  readonly #perByte: number
  readonly #mask: number

  /**
   * A list of `size` entries, all VALID.
   *
   * @throws {StatusListError} `STATUS_LIST_ERR_BITS_INVALID`, `STATUS_LIST_ERR_SIZE_INVALID`
   */
  constructor(size: number, bits: StatusListBits) {
    if (!isStatusListBits(bits)) {
      throw statusListError('STATUS_LIST_ERR_BITS_INVALID', 'bits must be 1, 2, 4 or 8')
    }
    if (!Number.isSafeInteger(size) || size < 1) {
      throw statusListError('STATUS_LIST_ERR_SIZE_INVALID', 'The list size must be a positive integer')
    }
    const perByte = 8 / bits
    const byteLength = Math.ceil(size / perByte)
    if (byteLength > bufferConstants.MAX_LENGTH) {
      throw statusListError(
        'STATUS_LIST_ERR_SIZE_INVALID',
        'The list size exceeds the largest possible buffer',
      )
    }
    this.bits = bits
    this.size = size
    this.#perByte = perByte
    this.#mask = (1 << bits) - 1
    this.#bytes = new Uint8Array(byteLength)
  }

  /**
   * A list over a copy of an uncompressed byte array (§4.1 steps 2–3), `bytes.length × 8 / bits` entries.
   *
   * @example
   * ```ts
   * StatusList.fromBytes(Uint8Array.of(0xb9, 0xa3), 1).get(0) // 1 (draft §4.1 example)
   * ```
   * @throws {StatusListError} `STATUS_LIST_ERR_BITS_INVALID`, `STATUS_LIST_ERR_SIZE_INVALID` (empty array)
   */
  static fromBytes(bytes: Uint8Array, bits: StatusListBits): StatusList {
    if (!isStatusListBits(bits)) {
      throw statusListError('STATUS_LIST_ERR_BITS_INVALID', 'bits must be 1, 2, 4 or 8')
    }
    const list = new StatusList(bytes.length * (8 / bits), bits)
    list.#bytes.set(bytes)
    return list
  }

  /**
   * Reads a `status_list` claim's `lst` and `bits` (§4.2): canonical unpadded base64url, then exactly one ZLIB
   * (RFC 1950) stream with nothing after it, inflated to at most `options.maxBytes` bytes.
   *
   * @example
   * ```ts
   * const list = StatusList.decode('eNrbuRgAAhcBXQ', 1) // draft §4.2 example
   * list.size // 16
   * list.get(0) // 1
   * ```
   * @throws {StatusListError} `STATUS_LIST_ERR_BITS_INVALID`, `STATUS_LIST_ERR_LST_MALFORMED`,
   *   `STATUS_LIST_ERR_LST_CORRUPT`, `STATUS_LIST_ERR_LST_TOO_LARGE`
   */
  static decode(lst: string, bits: number, options: DecodeOptions = {}): StatusList {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > bufferConstants.MAX_LENGTH) {
      throw new RangeError('maxBytes must be a positive integer no larger than buffer.constants.MAX_LENGTH')
    }
    if (!isStatusListBits(bits)) {
      throw statusListError('STATUS_LIST_ERR_BITS_INVALID', 'bits must be 1, 2, 4 or 8')
    }
    const compressed = typeof lst === 'string' ? decodeBase64url(lst) : undefined
    if (compressed === undefined) {
      throw statusListError('STATUS_LIST_ERR_LST_MALFORMED', 'lst must be an unpadded base64url string')
    }
    let inflated: InflateResult
    try {
      // `info` exposes the engine, whose bytesWritten says how much input the stream used (trailing bytes check).
      inflated = inflateSync(compressed, {
        maxOutputLength: maxBytes,
        info: true,
      }) as unknown as InflateResult
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw statusListError(
          'STATUS_LIST_ERR_LST_TOO_LARGE',
          `lst inflates to more than ${maxBytes} bytes`,
          {
            cause: err,
          },
        )
      }
      throw statusListError('STATUS_LIST_ERR_LST_CORRUPT', 'lst is not a valid ZLIB stream', { cause: err })
    }
    if (inflated.engine.bytesWritten !== compressed.length) {
      throw statusListError('STATUS_LIST_ERR_LST_CORRUPT', 'lst has bytes after the end of its ZLIB stream')
    }
    if (inflated.buffer.length === 0) {
      throw statusListError('STATUS_LIST_ERR_LST_CORRUPT', 'lst inflates to an empty list')
    }
    const list = new StatusList(inflated.buffer.length * (8 / bits), bits)
    list.#bytes = inflated.buffer
    return list
  }

  /** Length of the uncompressed byte array. */
  get byteLength(): number {
    return this.#bytes.length
  }

  /**
   * The status at `index`.
   *
   * @example
   * ```ts
   * if (list.get(claim.idx) !== StatusType.VALID) throw revoked()
   * ```
   * @throws {StatusListError} `STATUS_LIST_ERR_INDEX_INVALID`, `STATUS_LIST_ERR_INDEX_OUT_OF_RANGE`
   */
  get(index: number): number {
    this.#check(index)
    const byte = this.#bytes[Math.floor(index / this.#perByte)]!
    return (byte >> ((index % this.#perByte) * this.bits)) & this.#mask
  }

  /**
   * Sets the status at `index`; `status` must fit in `bits` (0 … 2^bits − 1).
   *
   * @example
   * ```ts
   * list.set(idx, StatusType.SUSPENDED) // needs bits ≥ 2
   * ```
   * @throws {StatusListError} `STATUS_LIST_ERR_INDEX_INVALID`, `STATUS_LIST_ERR_INDEX_OUT_OF_RANGE`,
   *   `STATUS_LIST_ERR_STATUS_INVALID`
   */
  set(index: number, status: number): void {
    this.#check(index)
    if (!Number.isInteger(status) || status < 0 || status > this.#mask) {
      throw statusListError(
        'STATUS_LIST_ERR_STATUS_INVALID',
        `A status in a ${this.bits}-bit list is an integer from 0 to ${this.#mask}`,
      )
    }
    const at = Math.floor(index / this.#perByte)
    const shift = (index % this.#perByte) * this.bits
    this.#bytes[at] = (this.#bytes[at]! & ~(this.#mask << shift)) | (status << shift)
  }

  /**
   * The `lst` value (§4.1 step 4, §4.2): the byte array deflated into a ZLIB stream at the highest compression
   * level, base64url-encoded without padding. Runs on the calling thread: at 1,000,000 entries it can take a
   * few hundred milliseconds (README, Figures); see {@link StatusList.encodeAsync}.
   *
   * @example
   * ```ts
   * const claims = { status_list: { bits: list.bits, lst: list.encode() } }
   * ```
   */
  encode(options: EncodeOptions = {}): string {
    return deflateSync(this.#bytes, zlibOptions(options)).toString('base64url')
  }

  /**
   * {@link StatusList.encode} on libuv's thread pool, so a large list does not block the event loop. The bytes
   * are copied first: changes made while it runs are not in the result.
   *
   * @example
   * ```ts
   * const lst = await list.encodeAsync()
   * ```
   */
  async encodeAsync(options: EncodeOptions = {}): Promise<string> {
    const zlib = zlibOptions(options)
    return (await deflateAsync(this.toBytes(), zlib)).toString('base64url')
  }

  /**
   * A copy of the uncompressed byte array.
   *
   * @example
   * ```ts
   * StatusList.fromBytes(list.toBytes(), list.bits) // an independent copy of the list
   * ```
   */
  toBytes(): Uint8Array {
    // Not `.slice()`: a decoded list holds a Buffer, whose slice() is a view over the same memory.
    return new Uint8Array(this.#bytes)
  }

  #check(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw statusListError('STATUS_LIST_ERR_INDEX_INVALID', 'A status list index is a non-negative integer')
    }
    if (index >= this.size) {
      throw statusListError(
        'STATUS_LIST_ERR_INDEX_OUT_OF_RANGE',
        `Index ${index} is outside the status list (size ${this.size})`,
      )
    }
  }
}
