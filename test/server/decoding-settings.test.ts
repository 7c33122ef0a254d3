import {readFile} from 'node:fs/promises'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Engine} from '../../src/engine/engine.js'
import type {RunningServer} from '../../src/server/http-server.js'
import {speech} from '../helpers/audio-fixtures.js'
import {connect, loadTestEngine, serve, streamUrl} from './server-helpers.js'

let server: RunningServer
const seen: Array<{path: 'live' | 'file'; decoding: unknown}> = []

beforeAll(async () => {
  const engine = await loadTestEngine()
  // The engine as the server sees it, recording the decoding settings each session or request asks for.
  const recording = {
    get model() {
      return engine.model
    },
    openStream: (settings: Parameters<Engine['openStream']>[0]) => {
      seen.push({path: 'live', decoding: settings?.decoding})
      return engine.openStream(settings)
    },
    transcribeFile: (...args: Parameters<Engine['transcribeFile']>) => {
      seen.push({path: 'file', decoding: args[1]?.decoding})
      return engine.transcribeFile(...args)
    },
  } as unknown as Engine
  server = await serve({
    engine: recording,
    decoding: {live: {temperatures: [0], beamSize: 1}, file: {temperatures: [0, 0.5], beamSize: 2, seed: 7}},
  })
})
afterAll(async () => server?.close())

describe('serve decoding settings (--temperature, --beam-size, … on serve)', () => {
  it('reach every live session, under the language the session asked for', async () => {
    const client = connect(streamUrl(server))
    await client.opened
    client.ws.send(JSON.stringify({type: 'start', encoding: 'f32le', sample_rate: 16000, language: 'en'}))
    await client.waitFor('ready')
    client.ws.close()
    expect(seen.find((s) => s.path === 'live')?.decoding).toMatchObject({temperatures: [0], beamSize: 1, language: 'en'})
  })

  it('reach every uploaded file', async () => {
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array(await readFile(await speech('settings reach the file path.')))]), 'a.wav')
    const res = await fetch(`${server.url}/v1/audio/transcriptions`, {method: 'POST', body: form})
    expect(res.status).toBe(200)
    expect(seen.find((s) => s.path === 'file')?.decoding).toMatchObject({temperatures: [0, 0.5], beamSize: 2, seed: 7})
  })
})
