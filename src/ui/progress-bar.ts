import type {ProgressEvent} from '../engine/store/download.js'

/**
 * A plain progress renderer for downloads, on stderr (never stdout, which carries data).
 * On a TTY one line per file is redrawn in place with \r (size, speed, ETA); anywhere else
 * (pipes, CI, logs) each file gets exactly one line when it finishes.
 */

export type DownloadEvent = ProgressEvent

export interface ProgressStream {
  write(chunk: string): unknown
  isTTY?: boolean
  columns?: number
}

export interface ProgressBarOptions {
  /** Default: the stream's own isTTY. */
  tty?: boolean
  /** Milliseconds between redraws on a TTY. */
  interval?: number
  now?: () => number
}

/** `[######------]  50%`: the bar every progress display draws (downloads here, bench scenarios). */
export function drawBar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction))
  const filled = Math.round(f * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%`
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const pad = (n: number) => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`
}

interface FileState {
  total: number
  startedAt: number
  resumedFrom: number
  bytes: number
  lastDraw: number
}

export class ProgressBar {
  private readonly tty: boolean
  private readonly interval: number
  private readonly now: () => number
  private readonly files = new Map<string, FileState>()

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressBarOptions = {},
  ) {
    this.tty = options.tty ?? Boolean(stream.isTTY)
    this.interval = options.interval ?? 100
    this.now = options.now ?? Date.now
  }

  /** Bound, so it can be handed straight to `onProgress`. */
  readonly update = (event: DownloadEvent): void => {
    const now = this.now()
    switch (event.type) {
      case 'start': {
        this.files.set(event.file, {
          total: event.total,
          startedAt: now,
          resumedFrom: event.resumedFrom,
          bytes: event.resumedFrom,
          lastDraw: 0,
        })
        if (this.tty) this.draw(event.file, now)
        else if (event.resumedFrom > 0)
          this.stream.write(`resuming ${event.file} at ${formatBytes(event.resumedFrom)} of ${formatBytes(event.total)}\n`)
        break
      }
      case 'progress': {
        const state = this.files.get(event.file)
        if (!state) return
        state.bytes = event.bytes
        if (this.tty && now - state.lastDraw >= this.interval) this.draw(event.file, now)
        break
      }
      case 'retry': {
        if (this.tty) this.stream.write('\n')
        this.stream.write(
          `connection lost in ${event.file} at ${formatBytes(event.bytes)}; resuming in ${(event.delayMs / 1000).toFixed(1)} s\n`,
        )
        break
      }
      case 'done': {
        const state = this.files.get(event.file)
        if (event.cached || !state) {
          this.stream.write(`${event.file}  ${formatBytes(event.total)}  already downloaded\n`)
          break
        }
        state.bytes = event.total
        const seconds = Math.max((now - state.startedAt) / 1000, 0.001)
        const speed = (event.total - state.resumedFrom) / seconds
        if (this.tty) {
          this.draw(event.file, now)
          this.stream.write('\n')
        } else {
          this.stream.write(`${event.file}  ${formatBytes(event.total)}  in ${seconds.toFixed(1)} s  (${formatBytes(speed)}/s)\n`)
        }
        this.files.delete(event.file)
        break
      }
    }
  }

  private draw(file: string, now: number): void {
    const state = this.files.get(file)!
    state.lastDraw = now
    const seconds = Math.max((now - state.startedAt) / 1000, 0.001)
    const speed = (state.bytes - state.resumedFrom) / seconds
    const eta = speed > 0 ? (state.total - state.bytes) / speed : Number.NaN
    const fraction = state.total > 0 ? Math.min(state.bytes / state.total, 1) : 1
    const stats = `${formatBytes(state.bytes)}/${formatBytes(state.total)} ${formatBytes(speed)}/s ETA ${formatDuration(eta)}`
    const columns = this.stream.columns || 80
    const name = file.length > 32 ? `…${file.slice(-31)}` : file
    // Room for the name, the brackets, the percentage and the stats.
    const width = Math.max(10, Math.min(30, columns - name.length - stats.length - 10))
    const line = `${name} ${drawBar(fraction, width)} ${stats}`
    this.stream.write(`\r${line.slice(0, columns - 1)}\u001B[K`)
  }
}

/** A progress listener for stderr, the way every command shows downloads. */
export const stderrProgress = (stream: ProgressStream = process.stderr, options?: ProgressBarOptions): ((event: DownloadEvent) => void) =>
  new ProgressBar(stream, options).update
