// A progress bar on stderr (never stdout, which carries the table or JSON). On a TTY one line is
// redrawn in place; elsewhere one line per scenario and every 10 %.

import {drawBar} from '../src/ui/progress-bar.js'

export interface Progress {
  begin(label: string): void
  update(fraction: number, label?: string): void
  end(summary?: string): void
  note(line: string): void
}

export const silentProgress: Progress = {begin() {}, update() {}, end() {}, note() {}}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = Boolean(stream.isTTY)
  let label = ''
  let lastDraw = 0
  let lastTenth = -1
  const started = {at: Date.now()}
  const draw = (fraction: number, text: string): void => {
    const elapsed = (Date.now() - started.at) / 1000
    const line = `${drawBar(fraction, 24)} ${elapsed.toFixed(0)}s ${text}`
    const columns = stream.columns ?? 100
    stream.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, 100))}`)
  }
  return {
    begin(text) {
      label = text
      started.at = Date.now()
      lastTenth = -1
      if (tty) draw(0, label)
      else stream.write(`bench: ${label}…\n`)
    },
    update(fraction, text) {
      if (tty) {
        const t = Date.now()
        if (t - lastDraw < 100 && fraction < 1) return
        lastDraw = t
        draw(fraction, text ?? label)
      } else {
        const tenth = Math.floor(fraction * 10)
        if (tenth > lastTenth && tenth < 10) {
          lastTenth = tenth
          if (tenth > 0) stream.write(`bench: ${label} ${tenth * 10}%\n`)
        }
      }
    },
    end(summary) {
      if (tty) stream.write('\r\u001B[2K')
      stream.write(`bench: ${label} done${summary ? `: ${summary}` : ''} (${((Date.now() - started.at) / 1000).toFixed(1)} s)\n`)
    },
    note(line) {
      if (tty) stream.write('\r\u001B[2K')
      stream.write(`bench: ${line}\n`)
    },
  }
}
