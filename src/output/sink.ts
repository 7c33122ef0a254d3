import {closeSync, openSync, writeSync} from 'node:fs'
import type {Writable} from 'node:stream'
import type {EngineEvent} from '../engine/events.js'
import type {Formatter} from './formats.js'

/** Where formatted events go: stdout (which may close under us: `| head`) or a file. */
export interface Sink {
  write(event: EngineEvent): void
  end(): Promise<void>
  /** True once the reader went away (EPIPE); later writes are dropped. */
  readonly closed: boolean
}

/** A sink on a stream such as stdout. `onClose` runs once if the reader goes away. */
export function streamSink(stream: Writable, formatter: Formatter, onClose: () => void = () => {}): Sink {
  let closed = false
  const close = (): void => {
    if (closed) return
    closed = true
    onClose()
  }
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') close()
    else throw error
  })
  const put = (text: string): void => {
    if (!closed && text !== '') stream.write(text)
  }
  put(formatter.header())
  return {
    get closed() {
      return closed
    },
    write: (event) => put(formatter.event(event)),
    end: () =>
      new Promise<void>((resolve) => {
        put(formatter.footer())
        if (closed || stream.writableLength === 0) resolve()
        else stream.once('drain', resolve).once('error', () => resolve())
      }),
  }
}

/**
 * A sink on a file, written synchronously event by event so that what was committed is on disk
 * even if the process is killed a moment later.
 */
export function fileSink(path: string, formatter: Formatter): Sink {
  const fd = openSync(path, 'w')
  const put = (text: string): void => {
    if (text !== '') writeSync(fd, text)
  }
  put(formatter.header())
  return {
    closed: false,
    write: (event) => put(formatter.event(event)),
    end: async () => {
      put(formatter.footer())
      closeSync(fd)
    },
  }
}
