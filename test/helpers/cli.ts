// Driving the built CLI as a user would (node bin/run.js …), and the checks every end-to-end test shares.
import {existsSync} from 'node:fs'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {execa, type Options, type ResultPromise} from 'execa'
import {expect} from 'vitest'
import {fixturesDir} from './audio-fixtures.js'
import {repoRoot} from './test-models.js'

export const binRun = path.join(repoRoot, 'bin', 'run.js')

/** `npm test` builds first (pretest); a lone `vitest run FILE` gets dist/ built here if it is missing. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(path.join(repoRoot, 'dist', 'src', 'commands', 'transcribe.js'))) return
  await execa('npm', ['run', '--silent', 'build'], {cwd: repoRoot})
}

const env = {WHISPER_STREAM_DEBUG: '', NO_COLOR: '1', WHISPER_STREAM_MODEL: '', HF_HUB_OFFLINE: '1'}

/** Runs the CLI to the end; never rejects (look at exitCode). Generous timeout, no timing assertions. */
export async function cli(args: string[], options: Options = {}): Promise<{exitCode: number | undefined; stdout: string; stderr: string}> {
  const result = await execa('node', [binRun, ...args], {
    reject: false,
    timeout: 90_000,
    env,
    extendEnv: true,
    stripFinalNewline: false,
    ...options,
  })
  return {exitCode: result.exitCode, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '')}
}

/** Starts the CLI with piped stdio for tests that signal it or close its pipes. */
export function spawnCli(args: string[], options: Options = {}): ResultPromise<{reject: false; buffer: true; stdin: 'pipe'}> {
  return execa('node', [binRun, ...args], {
    reject: false,
    timeout: 90_000,
    env,
    extendEnv: true,
    stripFinalNewline: false,
    stdin: 'pipe',
    ...options,
  }) as never
}

/** Resolves once `child` has written `count` complete lines to stdout (returns what it saw so far). */
export function waitForLines(child: {stdout: NodeJS.ReadableStream | null}, count = 1): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString()
      if (seen.split('\n').length - 1 >= count) {
        child.stdout!.off('data', onData)
        resolve(seen)
      }
    }
    child.stdout!.on('data', onData)
    child.stdout!.once('end', () => reject(new Error(`stdout ended after ${seen.split('\n').length - 1} lines: ${seen.slice(0, 300)}`)))
  })
}

/** Exactly one line on stderr, no stack trace, and the documented exit code. */
export function expectOneLineError(
  result: {exitCode?: number; stderr: unknown; stdout?: unknown},
  exitCode: number,
  pattern?: RegExp,
): void {
  const stderr = String(result.stderr)
  expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1)
  expect(stderr).toMatch(/^whisper-stream: \S/)
  expect(stderr).not.toMatch(/\n {4}at /)
  if (pattern) expect(stderr).toMatch(pattern)
  expect(result.exitCode, stderr).toBe(exitCode)
}

export interface JsonEvent {
  type: string
  id?: number
  text: string
  start: number
  end: number
}

/**
 * Every line of `stdout` is a complete JSON event (the output ends with a newline); finals have ids 0..n-1
 * in order, start <= end, and starts that never go back.
 */
export function parseEvents(stdout: string): JsonEvent[] {
  if (stdout === '') return []
  expect(stdout.endsWith('\n'), `output ends mid-line: ${JSON.stringify(stdout.slice(-80))}`).toBe(true)
  const events = stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as JsonEvent)
  let nextId = 0
  let lastStart = -Infinity
  for (const event of events) {
    expect(['partial', 'final']).toContain(event.type)
    expect(typeof event.text).toBe('string')
    expect(event.start).toBeGreaterThanOrEqual(0)
    expect(event.end).toBeGreaterThanOrEqual(event.start)
    if (event.type === 'final') {
      expect(event.id).toBe(nextId++)
      expect(event.start).toBeGreaterThanOrEqual(lastStart)
      lastStart = event.start
    }
  }
  return events
}

/** The finals of a JSON-lines output (validated by parseEvents). */
export const finalsOf = (stdout: string): JsonEvent[] => parseEvents(stdout).filter((e) => e.type === 'final')

/** A wav of `seconds` of looped espeak speech (cached): long enough to interrupt mid-file. */
export async function longSpeech(source: string, seconds: number): Promise<string> {
  const out = path.join(fixturesDir, `long-speech-${path.basename(source, '.wav')}-${seconds}s.wav`)
  if (existsSync(out)) return out
  await mkdir(fixturesDir, {recursive: true})
  const tmp = `${out}.tmp-${process.pid}.wav`
  await execa('ffmpeg', [
    '-nostdin',
    '-loglevel',
    'error',
    '-y',
    '-stream_loop',
    '-1',
    '-i',
    source,
    '-t',
    String(seconds),
    '-c:a',
    'pcm_s16le',
    tmp,
  ])
  await execa('mv', [tmp, out])
  return out
}

/** Seeded bytes (mulberry32), so a failing case replays from its seed. */
export function seededBytes(seed: number, length: number): Buffer {
  let a = seed >>> 0
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff
  }
  return out
}

export const writeBytes = (file: string, bytes: Uint8Array): Promise<void> => writeFile(file, bytes)
