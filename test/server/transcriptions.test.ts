import {readFile} from 'node:fs/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {encodeWav} from '../../src/engine/audio/wav.js'
import type {RunningServer} from '../../src/server/http-server.js'
import {fixture, speech} from '../helpers/audio-fixtures.js'
import {serve} from './server-helpers.js'

let server: RunningServer
let wav: Buffer

beforeAll(async () => {
  wav = await readFile(await speech('the quick brown fox jumps over the lazy dog.'))
  server = await serve({maxFileBytes: 2 << 20})
})
afterAll(async () => server?.close())

async function post(fields: Record<string, string>, file: Buffer | null = wav, name = 'speech.wav'): Promise<Response> {
  const form = new FormData()
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  if (file) form.append('file', new Blob([new Uint8Array(file)]), name)
  return fetch(`${server.url}/v1/audio/transcriptions`, {method: 'POST', body: form})
}

/** Parts in exactly this order; a Buffer value is a file part. */
async function postParts(parts: Array<[string, string | Buffer]>): Promise<Response> {
  const form = new FormData()
  for (const [key, value] of parts) {
    if (typeof value === 'string') form.append(key, value)
    else form.append(key, new Blob([new Uint8Array(value)]), 'speech.wav')
  }
  return fetch(`${server.url}/v1/audio/transcriptions`, {method: 'POST', body: form})
}

const errorOf = async (res: Response): Promise<{status: number; param: unknown; type: unknown; code: unknown}> => {
  const body = (await res.json()) as {error: {param: unknown; type: unknown; code: unknown; message: unknown}}
  expect(typeof body.error.message).toBe('string')
  return {status: res.status, param: body.error.param, type: body.error.type, code: body.error.code}
}

describe('POST /v1/audio/transcriptions', () => {
  it('json (default): {text}', async () => {
    const res = await post({model: 'whisper-1'})
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    const body = (await res.json()) as {text: string}
    expect(Object.keys(body)).toEqual(['text'])
    expect(body.text.length).toBeGreaterThan(0)
  })

  it('verbose_json: task, language, duration, text, segments with ids, times and tokens', async () => {
    const res = await post({response_format: 'verbose_json', language: 'en', prompt: 'Foxes.'})
    const body = (await res.json()) as {
      task: string
      language: string
      duration: number
      text: string
      segments: Array<Record<string, unknown>>
    }
    expect(body).toMatchObject({task: 'transcribe', language: 'en', text: expect.any(String)})
    expect(body.duration).toBeGreaterThan(1)
    expect(body.segments.length).toBeGreaterThan(0)
    body.segments.forEach((segment, i) => {
      expect(segment).toMatchObject({
        id: i,
        start: expect.any(Number),
        end: expect.any(Number),
        text: expect.any(String),
        tokens: expect.any(Array),
      })
    })
  })

  it('timestamp_granularities[]=word: verbose_json lists the words with times inside their segments; temperature 0 decodes greedily first', async () => {
    const res = await post({response_format: 'verbose_json', 'timestamp_granularities[]': 'word', temperature: '0'})
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      segments: Array<{start: number; end: number; text: string}>
      words: Array<{word: string; start: number; end: number}>
    }
    expect(body.words.length).toBeGreaterThan(0)
    expect(body.words.map((w) => w.word).join(' ')).toBe(body.segments.map((s) => s.text.trim()).join(' '))
    for (const word of body.words) {
      expect(word.end).toBeGreaterThanOrEqual(word.start)
      expect(body.segments.some((s) => word.start >= s.start - 1e-9 && word.end <= s.end + 1e-9)).toBe(true)
    }
    const plain = (await (await post({response_format: 'verbose_json'})).json()) as Record<string, unknown>
    expect(plain).not.toHaveProperty('words')
  })

  it('vad_filter=true transcribes only what Silero VAD calls speech: none in 20 s of silence, the sentence in speech', async () => {
    const silence = encodeWav(new Float32Array(20 * 16_000), 16_000)
    const quiet = (await (await post({response_format: 'verbose_json', vad_filter: 'true'}, silence)).json()) as {
      text: string
      segments: unknown[]
      duration: number
    }
    expect(quiet).toMatchObject({text: '', segments: []})
    const spoken = await post({response_format: 'verbose_json', vad_filter: 'true'})
    expect(spoken.status).toBe(200)
    expect(((await spoken.json()) as {segments: unknown[]}).segments.length).toBeGreaterThan(0)
  })

  it('text, srt and vtt', async () => {
    const text = await post({response_format: 'text'})
    expect(text.headers.get('content-type')).toMatch(/text\/plain/)
    expect((await text.text()).endsWith('\n')).toBe(true)
    const srt = await (await post({response_format: 'srt'})).text()
    expect(srt).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/)
    const vtt = await (await post({response_format: 'vtt'})).text()
    expect(vtt).toMatch(/^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> /)
  })

  it('other containers decode (mp3)', async () => {
    const res = await post({}, await readFile(await fixture('mp3', await speech('the quick brown fox jumps over the lazy dog.'))), 'a.mp3')
    expect(res.status).toBe(200)
  })

  it('refuses a different model, a bad format, no file, garbage audio and a file over the cap, in OpenAI error shape', async () => {
    const wrong = await post({model: 'large-v3'})
    expect(wrong.status).toBe(400)
    expect(await wrong.json()).toMatchObject({error: {param: 'model', type: 'invalid_request_error'}})
    expect((await post({response_format: 'docx'})).status).toBe(400)
    expect((await post({}, null)).status).toBe(400)
    const garbage = await post({}, await readFile(await fixture('garbage')), 'x.bin')
    expect(garbage.status).toBe(400)
    expect(await garbage.json()).toMatchObject({error: {code: 'invalid_audio'}})
    const big = await post({}, Buffer.alloc(3 << 20, 1), 'big.wav')
    expect(big.status).toBe(413)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it('a bad field after `file` (curl -F file=@talk.wav -F response_format=bogus) is a 400 naming it, and the server keeps serving', async () => {
    expect(
      await errorOf(
        await postParts([
          ['file', wav],
          ['response_format', 'bogus'],
        ]),
      ),
    ).toMatchObject({status: 400, param: 'response_format', type: 'invalid_request_error'})
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
    // Options after the file are as good as before it.
    const late = await postParts([
      ['file', wav],
      ['response_format', 'text'],
      ['language', 'en'],
      ['prompt', 'Foxes.'],
    ])
    expect(late.status).toBe(200)
    expect(late.headers.get('content-type')).toMatch(/text\/plain/)
  })

  it('every field is checked before any work: bad, empty, duplicated and unknown fields name their param', async () => {
    const cases: Array<[Array<[string, string | Buffer]>, number, string]> = [
      [
        [
          ['file', wav],
          ['language', 'klingon'],
        ],
        400,
        'language',
      ],
      [
        [
          ['file', wav],
          ['temperature', 'hot'],
        ],
        400,
        'temperature',
      ],
      [
        [
          ['file', wav],
          ['temperature', ''],
        ],
        400,
        'temperature',
      ],
      [
        [
          ['file', wav],
          ['temperature', '2'],
        ],
        400,
        'temperature',
      ],
      [
        [
          ['file', wav],
          ['model', ''],
        ],
        400,
        'model',
      ],
      [
        [
          ['file', wav],
          ['response_format', ''],
        ],
        400,
        'response_format',
      ],
      [
        [
          ['file', wav],
          ['prompt', 'x'.repeat(5000)],
        ],
        400,
        'prompt',
      ],
      [
        [
          ['file', wav],
          ['colour', 'blue'],
        ],
        400,
        'colour',
      ],
      [
        [
          ['response_format', 'json'],
          ['file', wav],
          ['response_format', 'text'],
        ],
        400,
        'response_format',
      ],
      [
        [
          ['file', wav],
          ['file', wav],
        ],
        400,
        'file',
      ],
      [[['file', 'not a file']], 400, 'file'],
      [[['file', Buffer.alloc(0)]], 400, 'file'],
      [[['model', 'whisper-1']], 400, 'file'],
      [
        [
          ['file', wav],
          ['stream', 'true'],
        ],
        400,
        'stream',
      ],
      [
        [
          ['file', wav],
          ['vad_filter', 'yes'],
        ],
        400,
        'vad_filter',
      ],
    ]
    for (const [parts, status, param] of cases) {
      expect({parts: parts.map(([k]) => k), ...(await errorOf(await postParts(parts)))}).toMatchObject({status, param})
    }
    const ok = await postParts([
      ['temperature', '0.2'],
      ['language', ''],
      ['prompt', ''],
      ['timestamp_granularities[]', 'segment'],
      ['vad_filter', 'false'],
      ['file', wav],
    ])
    expect(ok.status).toBe(200)
  })

  it('a body that is not multipart is 415; a malformed one is 400; a request target that is not a path is 400', async () => {
    const url = `${server.url}/v1/audio/transcriptions`
    expect((await fetch(url, {method: 'POST', body: 'hello', headers: {'content-type': 'text/plain'}})).status).toBe(415)
    expect((await fetch(url, {method: 'POST', body: 'hello', headers: {'content-type': 'multipart/form-data'}})).status).toBe(400)
    const truncated = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nabc'
    expect((await fetch(url, {method: 'POST', body: truncated, headers: {'content-type': 'multipart/form-data; boundary=b'}})).status).toBe(
      400,
    )
    // A file part the server discards, cut off inside: its stream fails too, and that must stay inside this request.
    const cutOther = truncated.replace('name="file"', 'name="other"')
    expect((await fetch(url, {method: 'POST', body: cutOther, headers: {'content-type': 'multipart/form-data; boundary=b'}})).status).toBe(
      400,
    )
    expect((await fetch(`${server.url}/%zz/[`, {method: 'GET'})).status).toBe(404)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it('GET /health and /v1/models name the loaded model', async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as {status: string; model: string; sessions: number}
    expect(health).toMatchObject({status: 'ok', sessions: 0})
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as {object: string; data: Array<{id: string; object: string}>}
    expect(models.object).toBe('list')
    expect(models.data).toEqual([expect.objectContaining({id: health.model, object: 'model'})])
    expect((await fetch(`${server.url}/../../etc/passwd`)).status).toBe(404)
  })
})
