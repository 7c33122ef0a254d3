import {Command, Errors} from '@oclif/core'
import {isWhisperStreamError} from '../engine/errors.js'
import {mark} from '../engine/timings.js'
import {cliErrorLine} from './error-line.js'
import {ExitCode, exitCodeFor} from './exit-codes.js'
import {debugEnabled, timingsReport} from './timings-report.js'

/**
 * Every command's error path: one line on stderr, a distinct exit code, no stack trace for user
 * errors (set WHISPER_STREAM_DEBUG=1 to see them).
 */
export abstract class BaseCommand extends Command {
  public override async init(): Promise<void> {
    mark('command ready')
    await super.init()
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    if (debugEnabled('timings')) process.stderr.write(timingsReport())
    return super.finally(error)
  }

  protected override async catch(error: Error): Promise<void> {
    const debug = debugEnabled('stack')
    if (isWhisperStreamError(error)) {
      process.stderr.write(`whisper-stream: ${cliErrorLine(error)}\n`)
      if (debug) process.stderr.write(`${String(error.stack)}\n${error.cause ? String((error.cause as Error).stack ?? error.cause) : ''}\n`)
      this.exit(exitCodeFor(error.code))
    }
    if (error instanceof Errors.ExitError) throw error
    if (isParseError(error)) {
      process.stderr.write(
        `whisper-stream: ${firstLine(error.message)} (see ${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''} --help)\n`,
      )
      this.exit(ExitCode.usage)
    }
    process.stderr.write(`whisper-stream: internal error: ${firstLine(error.message)} (rerun with WHISPER_STREAM_DEBUG=1 and report it)\n`)
    if (debug) process.stderr.write(`${String(error.stack)}\n`)
    this.exit(ExitCode.runtime)
  }
}

const firstLine = (text: string): string => text.split('\n')[0]!.replace(/^Error: /, '')

const isParseError = (error: Error): boolean =>
  error instanceof Errors.CLIError &&
  ((error as Errors.CLIError).oclif?.exit === 2 ||
    (error.constructor.name.endsWith('Error') && /flag|argument|Expected|Unexpected|Missing/i.test(error.message)))
