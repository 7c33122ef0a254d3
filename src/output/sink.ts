import {closeSync, openSync, writeSync} from 'node:fs'
import type {Writable} from 'node:stream'
import {WhisperStreamError} from '../engine/errors.js'
import type {EngineEvent} from '../engine/events.js'
import type {Formatter} from './formats.js'

/** Where formatted events go: stdout (which may close under us: `| head`) or a file. */
export interface Sink {
  write(event: EngineEvent): void
  end(): Promise<void>
  /** True once the reader went away (EPIPE) or writing failed; later writes are dropped. */
  readonly closed: boolean
  /** Set when writing failed for another reason than the reader leaving (ENOSPC, EIO…): the command fails with it. */
  readonly error: WhisperStreamError | undefined
}

/**
 * A sink on a stream such as stdout. `onClose` runs once if the reader goes away or writing fails.
 *
 * The sink owns the stream's errors: listeners already there are removed, because oclif installs one on
 * process.stdout that rethrows anything but EPIPE (an uncaught exception and a stack trace on a full disk).
 */
export function streamSink(stream: Writable, formatter: Formatter, onClose: () => void = () => {}): Sink {
  let closed = false
  let failure: WhisperStreamError | undefined
  const close = (): void => {
    if (closed) return
    closed = true
    onClose()
  }
  stream.removeAllListeners('error')
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') failure ??= writeError(error)
    close()
  })
  const put = (text: string): void => {
    if (!closed && text !== '') stream.write(text)
  }
  put(formatter.header())
  return {
    get closed() {
      return closed
    },
    get error() {
      return failure
    },
    write: (event) => put(formatter.event(event)),
    end: async () => {
      put(formatter.footer())
      // A failed write reports its error on a later tick (even a synchronous file write): let it arrive.
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (closed || stream.writableLength === 0) return
      await new Promise<void>((resolve) => stream.once('drain', resolve).once('error', () => resolve()))
    },
  }
}

const writeError = (error: NodeJS.ErrnoException): WhisperStreamError =>
  error.code === 'ENOSPC'
    ? new WhisperStreamError('disk-full', 'cannot write the output: no space left on device (ENOSPC)', {
        hint: 'free some space or write elsewhere',
        cause: error,
      })
    : new WhisperStreamError('output-failed', `cannot write the output: ${error.code ?? error.message}`, {
        hint: 'check where stdout goes',
        cause: error,
      })

/**
 * A sink on a file, written synchronously event by event so that what was committed is on disk
 * even if the process is killed a moment later.
 */
export function fileSink(path: string, formatter: Formatter): Sink {
  const fail = (error: unknown): never => {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOSPC') throw writeError(error as NodeJS.ErrnoException)
    throw new WhisperStreamError('output-failed', `cannot write ${path}: ${code ?? (error as Error).message}`, {
      hint: 'check that the folder exists and is writable',
      cause: error,
    })
  }
  let fd: number
  try {
    fd = openSync(path, 'w')
  } catch (error) {
    return fail(error)
  }
  const put = (text: string): void => {
    if (text === '') return
    try {
      writeSync(fd, text)
    } catch (error) {
      fail(error)
    }
  }
  put(formatter.header())
  return {
    closed: false,
    error: undefined,
    write: (event) => put(formatter.event(event)),
    end: async () => {
      put(formatter.footer())
      closeSync(fd)
    },
  }
}
