import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'
import {checkBindPolicy} from '../../src/server/auth.js'
import type {RunningServer} from '../../src/server/http-server.js'
import {readPcm, speech} from '../helpers/audio-fixtures.js'
import {connect, sendPcm, serve, streamUrl} from './server-helpers.js'

let server: RunningServer
let pcm: Float32Array

beforeAll(async () => {
  pcm = await readPcm(await speech('testing the limits of the server.'))
  server = await serve({
    maxSessions: 3,
    maxPayload: 64 * 1024,
    token: 'sesame',
    limits: {idleTimeoutMs: 1500, maxBufferedBytes: 1 << 20, maxBacklogSeconds: 10},
  })
})
afterAll(async () => server?.close())

const auth = {headers: {authorization: 'Bearer sesame'}}

/** A session that streams the whole clip and must finish normally while others misbehave. */
async function wellBehaved(): Promise<void> {
  const client = connect(streamUrl(server), auth)
  await client.opened
  await sendPcm(client.ws, pcm, {realtime: false})
  client.ws.send(JSON.stringify({type: 'end'}))
  const {messages, closeCode} = await client.closed
  expect(messages.at(-1)?.type).toBe('done')
  expect(closeCode).toBe(1000)
}

describe('serve limits and errors', () => {
  it('a malformed text frame gets error invalid-message and close 1007; another session goes on', async () => {
    const good = wellBehaved()
    const client = connect(streamUrl(server), auth)
    await client.opened
    client.ws.send('{not json')
    const {messages, closeCode} = await client.closed
    expect(messages.at(-1)).toMatchObject({type: 'error', code: 'invalid-message'})
    expect(closeCode).toBe(1007)
    await good
  })

  it('an unknown message type gets unsupported-message and 1003; bad start values get 1007', async () => {
    const a = connect(streamUrl(server), auth)
    await a.opened
    a.ws.send(JSON.stringify({type: 'dance'}))
    const ra = await a.closed
    expect(ra.messages.at(-1)).toMatchObject({type: 'error', code: 'unsupported-message'})
    expect(ra.closeCode).toBe(1003)
    const b = connect(streamUrl(server), auth)
    await b.opened
    b.ws.send(JSON.stringify({type: 'start', encoding: 'mp3', sample_rate: 'fast'}))
    const rb = await b.closed
    expect(rb.messages.at(-1)).toMatchObject({type: 'error', code: 'invalid-message'})
    expect(rb.closeCode).toBe(1007)
  })

  it('an oversized frame closes that session with 1009; another session goes on', async () => {
    const good = wellBehaved()
    const client = connect(streamUrl(server), auth)
    await client.opened
    client.ws.send(Buffer.alloc(200 * 1024))
    const {closeCode} = await client.closed
    expect(closeCode).toBe(1009)
    await good
  })

  it('a wrong or missing token is refused with HTTP 401; the token also works as a query parameter', async () => {
    await expect(connect(streamUrl(server), {headers: {authorization: 'Bearer nope'}}).opened).rejects.toMatchObject({status: 401})
    await expect(connect(streamUrl(server)).opened).rejects.toMatchObject({status: 401})
    const viaQuery = connect(streamUrl(server, '?token=sesame'))
    await viaQuery.opened
    viaQuery.ws.close()
    const models = await fetch(`${server.url}/v1/models`)
    expect(models.status).toBe(401)
    const health = await fetch(`${server.url}/health`)
    expect(health.status).toBe(200)
  })

  it('a foreign browser Origin is refused with 403; the same origin is accepted', async () => {
    await expect(connect(streamUrl(server), {headers: {...auth.headers, origin: 'http://evil.example'}}).opened).rejects.toMatchObject({
      status: 403,
    })
    const same = connect(streamUrl(server), {headers: {...auth.headers, origin: server.url}})
    await same.opened
    same.ws.close()
    await same.closed
  })

  it('a session over --max-sessions is refused with 503 while the others go on', async () => {
    const open = await Promise.all(
      [0, 1, 2].map(async () => {
        const c = connect(streamUrl(server), auth)
        await c.opened
        return c
      }),
    )
    await expect(connect(streamUrl(server), auth).opened).rejects.toMatchObject({status: 503})
    await sendPcm(open[0].ws, pcm)
    for (const c of open) c.ws.send(JSON.stringify({type: 'end'}))
    for (const c of open) expect((await c.closed).messages.at(-1)?.type).toBe('done')
  })

  it('a silent client is closed after the idle timeout with error idle-timeout and 1008', async () => {
    const client = connect(streamUrl(server), auth)
    await client.opened
    const {messages, closeCode} = await client.closed
    expect(messages.at(-1)).toMatchObject({type: 'error', code: 'idle-timeout'})
    expect(closeCode).toBe(1008)
  })

  it('undecodable webm gets undecodable-audio', async () => {
    const client = connect(streamUrl(server, '?encoding=webm'), auth)
    await client.opened
    client.ws.send(Buffer.from('this is not webm at all '.repeat(200)))
    client.ws.send(JSON.stringify({type: 'end'}))
    const {messages, closeCode} = await client.closed
    expect(messages.at(-1)).toMatchObject({type: 'error', code: 'undecodable-audio'})
    expect(closeCode).toBe(1007)
  })

  it('non-loopback hosts need a token unless --insecure', () => {
    expect(() => checkBindPolicy('0.0.0.0', undefined, false)).toThrow(/needs --token/)
    expect(() => checkBindPolicy('0.0.0.0', 'x', false)).not.toThrow()
    expect(() => checkBindPolicy('0.0.0.0', undefined, true)).not.toThrow()
    expect(() => checkBindPolicy('127.0.0.1', undefined, false)).not.toThrow()
    expect(() => checkBindPolicy('::1', undefined, false)).not.toThrow()
  })
})

describe('serve shutdown', () => {
  it('close() flushes finals to each session, sends done and closes with 1001', async () => {
    const own = await serve()
    const client = connect(streamUrl(own))
    await client.opened
    await sendPcm(client.ws, pcm)
    await client.waitFor('ready')
    await own.close()
    const {messages, closeCode} = await client.closed
    expect(messages.some((m) => m.type === 'final')).toBe(true)
    expect(messages.at(-1)?.type).toBe('done')
    expect(closeCode).toBe(1001)
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(streamUrl(own))
        ws.on('open', resolve)
        ws.on('error', reject)
      }),
    ).rejects.toThrow()
  })
})
