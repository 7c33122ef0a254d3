// Signals and processes (issue 8): ffmpeg dying under us, SIGINT/SIGTERM/SIGHUP, a reader that leaves,
// stdin that never ends, and a full disk. Each ends with one line (or none) and a distinct exit code,
// and what was written before is whole JSON lines.
import {readFile} from 'node:fs/promises'
import {execa} from 'execa'
import {beforeAll, describe, expect, it} from 'vitest'
import {speech} from '../helpers/audio-fixtures.js'
import {binRun, ensureBuilt, expectOneLineError, finalsOf, longSpeech, parseEvents, spawnCli, waitForLines} from '../helpers/cli.js'
import {testModel} from '../helpers/test-models.js'

let model: string
let long: string

beforeAll(async () => {
  await ensureBuilt()
  model = await testModel('mini')
  long = await longSpeech(await speech('signals and processes, interrupted mid sentence.'), 240)
})

const streamArgs = ['--stream', '--no-vad', '--step', '1s']

/** The ffmpeg child of the CLI's node process. */
async function ffmpegChild(pid: number): Promise<number> {
  const {stdout} = await execa('pgrep', ['-P', String(pid), 'ffmpeg'])
  const child = Number(stdout.trim().split('\n')[0])
  expect(child).toBeGreaterThan(0)
  return child
}

/** After an interrupt, the tentative tail was committed: a final follows the last non-empty partial. */
function expectTailFlushed(stdout: string): void {
  const events = parseEvents(stdout)
  const lastPartial = events.findLastIndex((e) => e.type === 'partial' && e.text !== '')
  expect(events.findLastIndex((e) => e.type === 'final')).toBeGreaterThan(lastPartial)
}

describe('ffmpeg killed mid-input', () => {
  it.each([[[] as string[]], [streamArgs]])('%j: one line, exit 3, earlier lines intact', async (extra) => {
    const child = spawnCli(['transcribe', long, '--model', model, ...extra])
    await waitForLines(child, 1)
    process.kill(await ffmpegChild(child.pid!), 'SIGKILL')
    const result = await child
    expectOneLineError(result, 3, /ffmpeg was killed \(SIGKILL\)/)
    expect(finalsOf(String(result.stdout)).length).toBeGreaterThanOrEqual(extra.length > 0 ? 0 : 1)
  })
})

describe('signals', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s mid-stream → %i, committed text flushed', async (signal, code) => {
    const child = spawnCli(['transcribe', long, '--model', model, ...streamArgs])
    await waitForLines(child, 2)
    child.kill(signal)
    const result = await child
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(code)
    expectTailFlushed(String(result.stdout))
  })

  it('SIGTERM mid-file (long-form path) → 143, whole lines', async () => {
    const child = spawnCli(['transcribe', long, '--model', model])
    await waitForLines(child, 1)
    child.kill('SIGTERM')
    const result = await child
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(143)
    parseEvents(String(result.stdout))
  })
})

describe('pipes', () => {
  it('stdout closed early: quiet exit 0', async () => {
    const child = spawnCli(['transcribe', long, '--model', model, ...streamArgs])
    await waitForLines(child, 1)
    child.stdout!.destroy()
    const result = await child
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
  })

  it.each([[[] as string[]], [streamArgs]])('stdin that never ends %j, then SIGINT → 130', async (extra) => {
    const wav = await readFile(long)
    // A streamed wav (sizes 0xFFFFFFFF), 40 s of it, and the pipe held open: more than one 30 s window.
    const dataAt = wav.indexOf('data')
    const head = Buffer.from(wav.subarray(0, dataAt + 8))
    head.writeUInt32LE(0xffffffff, 4)
    head.writeUInt32LE(0xffffffff, dataAt + 4)
    const child = spawnCli(['transcribe', '-', '--model', model, ...extra])
    child.stdin!.write(head)
    child.stdin!.write(wav.subarray(dataAt + 8, dataAt + 8 + 40 * 32_000))
    await waitForLines(child, 1)
    child.kill('SIGINT')
    const result = await child
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(130)
    if (extra.length > 0) expectTailFlushed(String(result.stdout))
    else parseEvents(String(result.stdout))
  })
})

describe('disk full', () => {
  it.each([[[] as string[]], [streamArgs], [['--format', 'srt']]])('stdout on /dev/full %j: one line, exit 1', async (extra) => {
    const wav = await speech('signals and processes, interrupted mid sentence.')
    // As a user would: `whisper-stream transcribe … > /dev/full`.
    const args = [binRun, 'transcribe', wav, '--model', model, ...extra]
    const result = await execa('sh', ['-c', 'exec node "$@" > /dev/full', 'sh', ...args], {reject: false, timeout: 90_000})
    expectOneLineError(result, 1, /ENOSPC/)
  })
})
