import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {RunningServer} from '../../src/server/http-server.js'
import {readPcm, speech} from '../helpers/audio-fixtures.js'
import {connect, sendPcm, serve, streamUrl} from './server-helpers.js'

let server: RunningServer
let pcm: Float32Array
const auth = {headers: {authorization: 'Bearer sesame'}}

beforeAll(async () => {
  pcm = await readPcm(await speech('metrics count what the server does.'))
  server = await serve({token: 'sesame', maxSessions: 1})
})
afterAll(async () => server?.close())

/** `name{labels} value` lines of the exposition, by series. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    out.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return out
}

describe('GET /metrics', () => {
  it('needs the token like /v1/*', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401)
  })

  it('counts sessions, refusals, audio, inference steps, finals, HTTP requests and RSS', async () => {
    const client = connect(streamUrl(server), auth)
    await client.opened
    await expect(connect(streamUrl(server), auth).opened).rejects.toMatchObject({status: 503})
    await sendPcm(client.ws, pcm)
    client.ws.send(JSON.stringify({type: 'end'}))
    const {messages} = await client.closed
    const finals = messages.filter((m) => m.type === 'final').length
    expect(finals).toBeGreaterThan(0)
    await fetch(`${server.url}/health`)

    const res = await fetch(`${server.url}/metrics`, auth)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    const m = series(text)
    expect(m.get('whisper_stream_sessions_total')).toBe(1)
    expect(m.get('whisper_stream_refusals_total{reason="max-sessions"}')).toBe(1)
    expect(m.get('whisper_stream_audio_seconds_total{source="stream"}')).toBeCloseTo(pcm.length / 16_000, 3)
    expect(m.get('whisper_stream_finals_total')).toBe(finals)
    expect(m.get('whisper_stream_inference_step_seconds_count')).toBeGreaterThan(0)
    expect(m.get('whisper_stream_queue_wait_seconds_count')).toBe(m.get('whisper_stream_inference_step_seconds_count'))
    expect(m.get('whisper_stream_real_time_factor')).toBeGreaterThan(0)
    expect(m.get('whisper_stream_encoder_windows_per_pass')).toBe(1) // unbatched
    expect(m.get('whisper_stream_http_requests_total{route="/v1/stream",status="101"}')).toBe(1)
    expect(m.get('whisper_stream_http_requests_total{route="/v1/stream",status="503"}')).toBe(1)
    expect(m.get('whisper_stream_http_requests_total{route="/health",status="200"}')).toBe(1)
    expect(m.get('whisper_stream_http_requests_total{route="/metrics",status="401"}')).toBe(1)
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(1 << 20)
    // The server's close of the session may land after the client's: the gauge is read, not assumed.
    expect(m.get('whisper_stream_sessions_open')).toBeLessThanOrEqual(1)
  })
})
