import {readFile} from 'node:fs/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
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

  it('GET /health and /v1/models name the loaded model', async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as {status: string; model: string; sessions: number}
    expect(health).toMatchObject({status: 'ok', sessions: 0})
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as {object: string; data: Array<{id: string; object: string}>}
    expect(models.object).toBe('list')
    expect(models.data).toEqual([expect.objectContaining({id: health.model, object: 'model'})])
    expect((await fetch(`${server.url}/../../etc/passwd`)).status).toBe(404)
  })
})
