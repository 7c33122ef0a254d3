// End to end: the built CLI as a user runs it, with files and lavfi standing in for a sound card.
import * as fs from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {spawn, type IPty} from '@lydell/node-pty'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {speechWithPauses} from '../helpers/audio-fixtures.js'
import {repoRoot, testModel} from '../helpers/test-models.js'

const bin = path.join(repoRoot, 'bin/run.js')
let model: string
let audio: string
let work: string

/** Builds dist/ unless mic.js is newer than every source file it uses. */
async function buildIfStale(): Promise<void> {
  const target = path.join(repoRoot, 'dist/src/commands/mic.js')
  const built = fs.existsSync(target) ? fs.statSync(target).mtimeMs : 0
  const sources = ['src/commands/mic.ts', 'src/cli', 'src/ui', 'src/engine/audio', 'src/output'].flatMap((p) => {
    const full = path.join(repoRoot, p)
    return fs.statSync(full).isDirectory() ? fs.readdirSync(full).map((f) => path.join(full, f)) : [full]
  })
  if (sources.every((file) => fs.statSync(file).mtimeMs < built)) return
  await execa('npm', ['run', '--silent', 'build'], {cwd: repoRoot, reject: false})
}

const stripAnsi = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007]*\u0007|\u001B[()][A-Z0-9]|\u001B[=>78]/g, '')

// Ink draws only the last frame when it thinks it runs in CI, and CI runners set CI=true.
const dropped = new Set(['FORCE_COLOR', 'CI', 'CONTINUOUS_INTEGRATION'])

/** The environment of a person at a terminal: NO_COLOR set, nothing forcing colour back on, no CI flags. */
function colourless(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !dropped.has(key)) env[key] = value
  return {...env, NO_COLOR: '1'}
}

/** Resolves once `predicate` holds for the text seen so far, or rejects after `ms`. */
function waitFor(read: () => string, predicate: (text: string) => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const timer = setInterval(() => {
      if (predicate(read())) {
        clearInterval(timer)
        resolve()
      } else if (Date.now() - started > ms) {
        clearInterval(timer)
        reject(new Error(`timed out waiting for ${what}; screen so far:\n${read()}`))
      }
    }, 50)
  })
}

beforeAll(async () => {
  ;[model, audio] = await Promise.all([
    testModel('mini'),
    speechWithPauses(
      ['Hello there, this is the microphone test.', 'Here is a second sentence to transcribe.', 'And a third one, to keep it talking.'],
      0.8,
    ),
    buildIfStale(),
  ])
  work = fs.mkdtempSync(path.join(tmpdir(), 'ws-mic-'))
})

afterAll(() => {
  fs.rmSync(work, {recursive: true, force: true})
})

describe('mic in a terminal (TUI)', () => {
  it('shows the status line and transcript; q flushes, exits 0, and --out holds the finals; NO_COLOR holds', async () => {
    const out = path.join(work, 'tui.jsonl')
    let screen = ''
    const term: IPty = spawn(process.execPath, [bin, 'mic', '--model', model, '--input-format', 'wav', '--device', audio, '--out', out], {
      name: 'xterm-256color',
      cols: 100,
      rows: 30,
      cwd: repoRoot,
      env: colourless(),
    })
    term.onData((data) => {
      screen += data
    })
    const exited = new Promise<number>((resolve) => term.onExit(({exitCode}) => resolve(exitCode)))
    try {
      await waitFor(
        () => stripAnsi(screen),
        (text) => text.includes('● REC') && text.includes('mini'),
        20_000,
        'the status line',
      )
      // The first committed line appears while the later sentences are still being "spoken".
      await waitFor(
        () => stripAnsi(screen),
        (text) => /\[0:0\d\] \S/.test(text),
        20_000,
        'a committed line',
      )
      term.write('q')
      const code = await Promise.race([
        exited,
        new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no exit after q')), 15_000)),
      ])
      const text = stripAnsi(screen)
      expect(code).toBe(0)
      expect(text).toMatch(/p pause · q quit/)
      expect(text).toMatch(/■ stopped/)
      // eslint-disable-next-line no-control-regex -- the escape character is what the test looks for
      expect(screen).not.toMatch(/\u001B\[[\d;]*m/) // no colour or dim escapes at all
      const finals = fs
        .readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as {type: string; text: string})
      expect(finals.length).toBeGreaterThan(0)
      for (const event of finals) expect(event.type).toBe('final')
      // Every committed line on the screen is in the file.
      const flat = text.replace(/\s+/g, ' ')
      for (const event of finals) expect(flat).toContain(event.text.trim().replace(/\s+/g, ' '))
      // q came before the audio ended: the stop was ours, not the end of the file.
      const spoken = Number(/■ stopped {2}(\d+):(\d\d)/.exec(text)?.[2] ?? 99)
      expect(spoken).toBeLessThan(9)
    } finally {
      term.kill()
    }
  })
})

describe('mic through a pipe', () => {
  it('--json writes the JSON lines of transcribe --stream, finals included', async () => {
    const result = await execa('node', [bin, 'mic', '--json', '--model', model, '--input-format', 'wav', '--device', audio], {
      reject: false,
      timeout: 60_000,
    })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as {type: string; id?: number; start: number; end: number})
    const finals = events.filter((event) => event.type === 'final')
    expect(finals.length).toBeGreaterThan(0)
    expect(finals.map((event) => event.id)).toEqual(finals.map((_, i) => i))
    for (const event of events) {
      expect(['partial', 'final']).toContain(event.type)
      expect(event.end).toBeGreaterThanOrEqual(event.start)
    }
  })

  it('a nonexistent device gives one line on stderr and a non-zero exit', async () => {
    for (const args of [
      ['--input-format', 'alsa', '--device', 'no-such-card'],
      ['--input-format', 'wav', '--device', path.join(work, 'missing.wav')],
    ]) {
      const result = await execa('node', [bin, 'mic', '--json', '--model', model, ...args], {reject: false, timeout: 60_000})
      expect(result.exitCode).toBe(3)
      expect(result.stdout).toBe('')
      const lines = result.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^whisper-stream: cannot open .*\(.+\)$/)
    }
  })

  it('--out with an unknown extension is a usage error', async () => {
    const result = await execa(
      'node',
      [bin, 'mic', '--model', model, '--input-format', 'lavfi', '--device', 'anullsrc', '--out', path.join(work, 'x.doc')],
      {reject: false},
    )
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/cannot tell the format/)
  })
})

describe('mic --out that cannot be written', () => {
  it('is one line and exit 1 before capture starts', async () => {
    const result = await execa(
      'node',
      [
        bin,
        'mic',
        '--input-format',
        'lavfi',
        '--device',
        'sine=frequency=440:duration=1',
        '--model',
        await testModel('mini'),
        '--json',
        '--out',
        '/nonexistent-dir/x.srt',
      ],
      {reject: false},
    )
    expect(result.exitCode).toBe(1)
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('cannot write /nonexistent-dir/x.srt')])
  })

  it('a disk that fills while it runs is one line and exit 1; stdout keeps what was committed', async () => {
    const full = path.join(work, 'full.jsonl')
    fs.symlinkSync('/dev/full', full)
    const result = await execa(
      'node',
      [bin, 'mic', '--json', '--model', model, '--input-format', 'wav', '--device', audio, '--out', full],
      {
        reject: false,
        timeout: 60_000,
      },
    )
    expect(result.exitCode).toBe(1)
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^whisper-stream: cannot write the output: no space left on device \(ENOSPC\)/),
    ])
    for (const line of result.stdout.split('\n').filter(Boolean)) expect(JSON.parse(line)).toHaveProperty('type')
  })
})
