import type { RowSummary } from '../rounds.js'

/** A row that could not be measured, with the reason shown in its place. */
export interface NotRun {
  label: string
  notRun: string
}

export type TableRow = RowSummary | NotRun

export const isNotRun = (row: TableRow): row is NotRun => 'notRun' in row

/** Throughput and latency per row, every figure also as a ratio to the first row. */
export interface ThroughputTable {
  kind: 'throughput'
  id: string
  title: string
  /** What one answered request is: `req/s`, `tokens/s`, `rotations/s`. */
  unit: string
  rows: TableRow[]
  /** Header of the extra counter column (e.g. auth-server requests), when the table has one. */
  counted?: string
}

export interface MemorySample {
  tokens: number
  rss: number
  heapUsed: number
}

/** Resident memory of one resource server as distinct tokens go through it. */
export interface MemoryTable {
  kind: 'memory'
  id: string
  title: string
  /** The first sample is the baseline (after warm-up). */
  samples: MemorySample[]
  cacheMax: number
  /** Requests per second while the tokens were sent (each one a full verification). */
  rps: number
}

/** Single measured figures (sizes, times, counts), each with what it is. */
export interface FiguresTable {
  kind: 'figures'
  id: string
  title: string
  rows: Array<{ label: string; value: string }>
  /** Targets this scenario checks itself (shown in the targets table). */
  checks?: Array<{ target: string; measured: string; met: boolean | undefined }>
}

export type Table = ThroughputTable | MemoryTable | FiguresTable

export interface MachineInfo {
  cpus: number
  cpuModel: string
  node: string
  platform: string
  loadAverage: number[]
  memoryGiB: number
}

export interface BenchReport {
  profile: string
  command: string
  startedAt: string
  durationSeconds: number
  machine: MachineInfo
  settings: { rounds: number; duration: number; warmup: number; connections: number }
  tables: Table[]
}
