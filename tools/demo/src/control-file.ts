import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { DemoSettings } from './services.js'

/** Where a running `pnpm start` leaves its control address for `pnpm demo` (owner-only file, removed on exit). */
export const CONTROL_FILE = fileURLToPath(new URL('../data/launcher.json', import.meta.url))

export interface ControlFile {
  pid: number
  controlUrl: string
  controlToken: string
  settings: DemoSettings
}

export function writeControlFile(data: ControlFile): void {
  mkdirSync(new URL('../data/', import.meta.url), { recursive: true })
  writeFileSync(CONTROL_FILE, JSON.stringify(data), { mode: 0o600 })
  chmodSync(CONTROL_FILE, 0o600)
}

export function readControlFile(): ControlFile | undefined {
  try {
    const data = JSON.parse(readFileSync(CONTROL_FILE, 'utf8')) as ControlFile
    process.kill(data.pid, 0) // throws when that launcher is gone
    return data
  } catch {
    return undefined
  }
}

export function removeControlFile(): void {
  rmSync(CONTROL_FILE, { force: true })
}
