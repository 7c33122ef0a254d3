// The web page in real headless Chromium (Debian's /usr/bin/chromium, never a downloaded one), with a
// fake microphone that plays an espeak-ng wav: the page must show final text arriving from the server.
import {existsSync} from 'node:fs'
import {execa} from 'execa'
import {chromium, type Browser} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {RunningServer} from '../../src/server/http-server.js'
import {fixturesDir, speechWithPauses} from '../helpers/audio-fixtures.js'
import {serve} from './server-helpers.js'

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

let server: RunningServer
let browser: Browser | undefined
let wav48k: string
const logs: string[] = []

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`)
  }
  const source = await speechWithPauses(['hello from the browser, this is a test.', 'the page shows the words.'], 0.8)
  // Chromium's fake capture plays a wav file in a loop; 48 kHz mono 16-bit is what it reads without fuss.
  wav48k = `${fixturesDir}/browser-mic-48k.wav`
  if (!existsSync(wav48k)) {
    const tmp = `${wav48k}.${process.pid}.tmp.wav`
    await execa('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', source, '-ar', '48000', '-ac', '1', '-c:a', 'pcm_s16le', tmp])
    await execa('mv', [tmp, wav48k])
  }
  server = await serve({}, logs)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav48k}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('web page', () => {
  it('captures the microphone, streams it, and shows finals and a status line', async () => {
    const page = await browser!.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(server.url)
    expect(await page.locator('#status').textContent()).toBe('idle')
    await page.click('#start')
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('listening'), undefined, {timeout: 20_000})
    await page.waitForFunction(() => Number(document.body.dataset['finals'] ?? 0) >= 1, undefined, {timeout: 45_000})
    const shown = await page.locator('#finals').textContent()
    expect(shown?.trim().length).toBeGreaterThan(0)
    await page.click('#stop')
    await page.waitForFunction(() => /^done|^closed/.test(document.getElementById('status')!.textContent!), undefined, {timeout: 20_000})
    expect(errors).toEqual([])
    expect(logs.some((line) => /^session \d+ /.test(line))).toBe(true)
    await page.close()
  }, 120_000)
})
