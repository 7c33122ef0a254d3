import {tmpdir} from 'node:os'
import * as path from 'node:path'
// End-to-end: the built `whisper-stream transcribe` on real containers, every format, the streaming
// path, user errors and interruption. The model is the generated mini model (random weights: the text is
// nonsense, the structure of the output is what is checked).
import {readFile} from 'node:fs/promises'
import {beforeAll, describe, expect, it} from 'vitest'
import {fixture, readPcm, speech, speechWithPauses} from '../helpers/audio-fixtures.js'
import {cli, ensureBuilt, expectOneLineError, finalsOf, longSpeech, parseEvents, spawnCli, waitForLines} from '../helpers/cli.js'
import {testModel} from '../helpers/test-models.js'

let model: string
let wav: string

beforeAll(async () => {
  await ensureBuilt()
  model = await testModel('mini')
  wav = await speech('the quick brown fox jumps over the lazy dog.')
})

describe('transcribe: inputs give valid JSON lines', () => {
  const cases: Array<[string, () => Promise<string>]> = [
    ['wav', async () => wav],
    ['mp3', () => fixture('mp3', wav)],
    ['ogg', () => fixture('ogg', wav)],
    ['mp4 video', () => fixture('mp4-video', wav)],
  ]
  it.each(cases)('%s', async (_name, file) => {
    const result = await cli(['transcribe', await file(), '--model', model])
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(finalsOf(result.stdout).length).toBeGreaterThan(0)
  })

  it('stdin (-)', async () => {
    const result = await cli(['transcribe', '-', '--model', model], {inputFile: wav})
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(finalsOf(result.stdout).length).toBeGreaterThan(0)
  })
})

describe('transcribe with WHISPER_STREAM_DEBUG=timings', () => {
  it('breaks start-up down on stderr, phase by phase in order, and leaves stdout alone', async () => {
    const plain = await cli(['transcribe', wav, '--model', model])
    const timed = await cli(['transcribe', wav, '--model', model], {env: {WHISPER_STREAM_DEBUG: 'timings', HF_HUB_OFFLINE: '1'}})
    expect(timed.exitCode).toBe(0)
    expect(timed.stdout).toBe(plain.stdout)
    const phases = [
      'node bootstrap',
      'command ready',
      'model resolve',
      'tokenizer',
      'session encoder',
      'session decoder',
      'first output',
      'exit',
    ]
    const lines = timed.stderr.split('\n')
    const at = phases.map((phase) => lines.findIndex((line) => line.includes(phase)))
    expect(at.every((index) => index > 0)).toBe(true)
    expect([...at].sort((a, b) => a - b)).toEqual(at)
  })
})

describe('transcribe --format', () => {
  let finals: ReturnType<typeof finalsOf>
  beforeAll(async () => {
    finals = finalsOf((await cli(['transcribe', wav, '--model', model, '--format', 'jsonl'])).stdout)
    expect(finals.length).toBeGreaterThan(0)
  })

  it('text: one line per final', async () => {
    const result = await cli(['transcribe', wav, '--model', model, '--format', 'text'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.trimEnd().split('\n')).toEqual(finals.map((f) => f.text))
  })

  it('srt: numbered cues with HH:MM:SS,mmm times', async () => {
    const result = await cli(['transcribe', wav, '--model', model, '--format', 'srt'])
    expect(result.exitCode).toBe(0)
    const cues = result.stdout.trimEnd().split('\n\n')
    expect(cues).toHaveLength(finals.length)
    cues.forEach((cue, i) => {
      const [index, times, ...text] = cue.split('\n')
      expect(index).toBe(String(i + 1))
      expect(times).toMatch(/^\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}$/)
      expect(text.join('\n')).toBe(finals[i]!.text)
    })
  })

  it('vtt: WEBVTT header and cues with HH:MM:SS.mmm times', async () => {
    const result = await cli(['transcribe', wav, '--model', model, '--format', 'vtt'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.startsWith('WEBVTT\n\n')).toBe(true)
    const cues = result.stdout.slice('WEBVTT\n\n'.length).trimEnd().split('\n\n')
    expect(cues).toHaveLength(finals.length)
    for (const cue of cues) expect(cue.split('\n')[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$/)
  })

  it('json: one document with the segments and the whole text', async () => {
    const result = await cli(['transcribe', wav, '--model', model, '--format', 'json'])
    expect(result.exitCode).toBe(0)
    const doc = JSON.parse(result.stdout) as {segments: unknown[]; text: string}
    expect(doc.segments).toEqual(finals)
    expect(doc.text).toBe(finals.map((f) => f.text).join(' '))
  })
})

describe('transcribe --stream', () => {
  let pauses: string
  beforeAll(async () => {
    pauses = await speechWithPauses(['hello world, this is a test.', 'the stream commits words as they come.'], 1)
  })

  it('gives partial and final events', async () => {
    const result = await cli(['transcribe', pauses, '--model', model, '--stream', '--step', '500ms'])
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    const events = parseEvents(result.stdout)
    expect(events.some((e) => e.type === 'partial')).toBe(true)
    expect(events.some((e) => e.type === 'final')).toBe(true)
  })

  it('--no-partials gives finals only', async () => {
    const result = await cli(['transcribe', pauses, '--model', model, '--stream', '--step', '500ms', '--no-partials'])
    expect(result.exitCode).toBe(0)
    const events = parseEvents(result.stdout)
    expect(events.length).toBeGreaterThan(0)
    expect(events.every((e) => e.type === 'final')).toBe(true)
  })
})

describe('transcribe: user errors are one line and a distinct exit code', () => {
  it('garbage bytes → 3', async () => {
    expectOneLineError(await cli(['transcribe', await fixture('garbage'), '--model', model]), 3, /cannot decode/)
  })
  it('a missing file → 3', async () => {
    expectOneLineError(await cli(['transcribe', '/nonexistent/talk.wav', '--model', model]), 3, /no such file/)
  })
  it('a missing file is reported before the model is looked for (no download, no offline wait)', async () => {
    // A hub that refuses connections and an empty cache: resolving the model first would end in exit 5.
    const env = {HF_HUB_OFFLINE: '0', HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: path.join(tmpdir(), 'ws-empty-cache')}
    expectOneLineError(await cli(['transcribe', '/nonexistent/talk.wav', '--model', 'tiny.en'], {env}), 3, /no such file/)
  })
  it('a missing model directory → 4', async () => {
    expectOneLineError(await cli(['transcribe', wav, '--model', '/nonexistent/model-dir']), 4, /nonexistent\/model-dir/)
  })
  it('an unknown flag → 2', async () => {
    expectOneLineError(await cli(['transcribe', wav, '--model', model, '--bogus']), 2, /--bogus/)
  })
  it.each(['5x', '10ms', '100ms', '11s', '1h'])('--step %s → 2', async (step) => {
    expectOneLineError(await cli(['transcribe', wav, '--model', model, '--stream', '--step', step]), 2, /step|duration/)
  })
  it('--vad-filter with --stream → 2 (the stream path gates on voice activity itself)', async () => {
    expectOneLineError(await cli(['transcribe', wav, '--model', model, '--vad-filter', '--stream']), 2, /--vad-filter|--stream/)
  })
  it('an unknown --format → 2', async () => {
    expectOneLineError(await cli(['transcribe', wav, '--model', model, '--format', 'docx']), 2)
  })
})

describe('transcribe --vad-filter', () => {
  it('transcribes the two stretches of speech around a 40 s pause and nothing inside it', async () => {
    const sentences = ['the quick brown fox jumps over the lazy dog.', 'a second sentence after a long pause.']
    const file = await speechWithPauses(sentences, 40)
    const firstEnd = (await readPcm(await speech(sentences[0]))).length / 16_000
    const result = await cli(['transcribe', file, '--model', model, '--vad-filter'])
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    const finals = finalsOf(result.stdout)
    expect(finals.length).toBeGreaterThan(0)
    // The pad (0.2 s) and one VAD frame are all a chunk reaches into the pause.
    for (const final of finals) expect(final.end <= firstEnd + 0.3 || final.start >= firstEnd + 40 - 0.3).toBe(true)
    expect(finals.some((final) => final.start >= firstEnd + 40 - 0.3)).toBe(true)
  })
})

describe('transcribe: the reader goes away, or the user interrupts', () => {
  let long: string
  beforeAll(async () => {
    long = await longSpeech(wav, 240)
  })

  it.each([[[] as string[]], [['--stream']]])('stdout closed after the first line (| head -1) %j: quiet exit 0', async (extra) => {
    const child = spawnCli(['transcribe', long, '--model', model, ...extra])
    await waitForLines(child, 1)
    child.stdout!.destroy()
    const result = await child
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
  })

  it('SIGINT mid-file: exit 130, only complete lines', async () => {
    const child = spawnCli(['transcribe', long, '--model', model])
    await waitForLines(child, 1)
    child.kill('SIGINT')
    const result = await child
    expect(result.exitCode).toBe(130)
    expect(result.stderr).toBe('')
    expect(finalsOf(String(result.stdout)).length).toBeGreaterThan(0)
  })

  it('SIGINT mid-stream: exit 130, the tentative tail flushed as a final', async () => {
    const child = spawnCli(['transcribe', long, '--model', model, '--stream', '--no-vad', '--step', '1s'])
    await waitForLines(child, 3)
    child.kill('SIGINT')
    const result = await child
    expect(result.exitCode).toBe(130)
    expect(result.stderr).toBe('')
    const events = parseEvents(String(result.stdout))
    // The last non-empty partial was committed: a final comes after it, and nothing tentative is left.
    const lastPartial = events.findLastIndex((e) => e.type === 'partial' && e.text !== '')
    const lastFinal = events.findLastIndex((e) => e.type === 'final')
    expect(lastFinal).toBeGreaterThan(lastPartial)
    expect(await readFile(long).then((b) => b.length)).toBeGreaterThan(0)
  })
})
