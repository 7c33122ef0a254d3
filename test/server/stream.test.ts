import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {RunningServer} from '../../src/server/http-server.js'
import type {FinalEvent} from '../../src/engine/events.js'
import {readPcm, speechWithPauses} from '../helpers/audio-fixtures.js'
import {Engine} from '../../src/engine/engine.js'
import {testModel} from '../helpers/test-models.js'
import {connect, sendPcm, serve, streamUrl, type ClientResult} from './server-helpers.js'

let server: RunningServer
let pcm: Float32Array
const logs: string[] = []

beforeAll(async () => {
  pcm = await readPcm(await speechWithPauses(['hello world, this is a test.', 'the server streams words back.'], 0.8))
  server = await serve({maxSessions: 24}, logs)
})
afterAll(async () => server?.close())

const finalsOf = (messages: Array<{type: string}>): FinalEvent[] => messages.filter((m): m is FinalEvent => m.type === 'final')

/** `sessions` clients at once, each streaming `audio` and ending; their results. */
const streamAtOnce = (target: RunningServer, sessions: number, audio: Float32Array, query: string): Promise<ClientResult[]> =>
  Promise.all(
    Array.from({length: sessions}, async () => {
      const client = connect(streamUrl(target, query))
      await client.opened
      await sendPcm(client.ws, audio)
      client.ws.send(JSON.stringify({type: 'end'}))
      return client.closed
    }),
  )

describe('serve /v1/stream', () => {
  it('streams an espeak-ng wav: ready, finals, then done', async () => {
    const client = connect(streamUrl(server))
    await client.opened
    client.ws.send(JSON.stringify({type: 'start', encoding: 'f32le', sample_rate: 16000, step_ms: 500}))
    const ready = await client.waitFor('ready')
    expect(ready).toMatchObject({
      type: 'ready',
      model: expect.any(String),
      options: {encoding: 'f32le', sample_rate: 16000, step_ms: 500, vad: true},
    })
    await sendPcm(client.ws, pcm)
    client.ws.send(JSON.stringify({type: 'end'}))
    const {messages, closeCode} = await client.closed
    const finals = finalsOf(messages)
    expect(finals.length).toBeGreaterThan(0)
    expect(finals.map((f) => f.id)).toEqual(finals.map((_, i) => i))
    for (const f of finals) expect(f.end).toBeGreaterThanOrEqual(f.start)
    expect(messages.at(-1)).toMatchObject({type: 'done', finals: finals.length})
    expect((messages.at(-1) as {audio: number}).audio).toBeCloseTo(pcm.length / 16000, 1)
    expect(closeCode).toBe(1000)
    expect(logs.some((line) => /^session \d+ .*closed 1000/.test(line))).toBe(true)
  })

  it('takes options from the query string and resamples s16le at 48 kHz through ffmpeg', async () => {
    const client = connect(streamUrl(server, '?encoding=s16le&sample_rate=48000&partials=false'))
    await client.opened
    // 16 kHz → 48 kHz by repeating samples (fine for a test), as s16le.
    const bytes = Buffer.alloc(pcm.length * 3 * 2)
    for (let i = 0; i < pcm.length; i++)
      for (let k = 0; k < 3; k++) bytes.writeInt16LE(Math.round(Math.max(-1, Math.min(1, pcm[i])) * 32767), (i * 3 + k) * 2)
    for (let offset = 0; offset < bytes.length; offset += 9600) client.ws.send(bytes.subarray(offset, offset + 9601)) // odd sizes
    client.ws.send(JSON.stringify({type: 'end'}))
    const {messages, closeCode} = await client.closed
    expect(messages[0]).toMatchObject({type: 'ready', options: {encoding: 's16le', sample_rate: 48000, partials: false}})
    expect(messages.some((m) => m.type === 'partial')).toBe(false)
    expect(finalsOf(messages).length).toBeGreaterThan(0)
    expect(messages.at(-1)).toMatchObject({type: 'done'})
    expect(closeCode).toBe(1000)
  })

  it('flush commits mid-stream and the session goes on with increasing ids and times', async () => {
    const client = connect(streamUrl(server, '?vad=false'))
    await client.opened
    const half = Math.floor(pcm.length / 2)
    await sendPcm(client.ws, pcm.subarray(0, half))
    client.ws.send(JSON.stringify({type: 'flush'}))
    await sendPcm(client.ws, pcm.subarray(half))
    client.ws.send(JSON.stringify({type: 'end'}))
    const {messages} = await client.closed
    const finals = finalsOf(messages)
    expect(finals.map((f) => f.id)).toEqual(finals.map((_, i) => i))
    for (let i = 1; i < finals.length; i++) expect(finals[i].start).toBeGreaterThanOrEqual(finals[i - 1].start)
    expect(messages.at(-1)).toMatchObject({type: 'done'})
  })

  it('runs 20 concurrent sessions on one model; all finish', async () => {
    const clip = pcm.subarray(0, Math.min(pcm.length, 16000 * 3))
    const results = await streamAtOnce(server, 20, clip, '?step_ms=1000')
    for (const {messages, closeCode} of results) {
      expect(messages[0]?.type).toBe('ready')
      expect(messages.at(-1)?.type).toBe('done')
      expect(closeCode).toBe(1000)
    }
    expect(server.sessions).toBe(0)
  })

  it('with encoder passes batched and steps run at once, every session finishes with finals', async () => {
    const engine = await Engine.load(await testModel('mini'), {encoderBatch: 4})
    const batching = await serve({engine, concurrency: 4})
    try {
      const results = await streamAtOnce(batching, 4, pcm, '?step_ms=500')
      for (const {messages, closeCode} of results) {
        expect(messages.at(-1)?.type).toBe('done')
        expect(finalsOf(messages).length).toBeGreaterThan(0)
        expect(closeCode).toBe(1000)
      }
      // Whether two steps met at the encoder depends on timing here; the engine test makes them meet.
      const {passes, windows} = engine.model.encoderBatches!
      expect(windows).toBeGreaterThanOrEqual(4)
      const metrics = await (await fetch(`${batching.url}/metrics`)).text()
      const perPass = Number(/^whisper_stream_encoder_windows_per_pass (\S+)$/m.exec(metrics)?.[1])
      expect(perPass).toBeCloseTo(windows / passes, 6)
    } finally {
      await batching.close()
      await engine.release()
    }
  })
})
