// The seeded misbehaving WebSocket clients, one body per case kind, each stating the outcome it expects. Over 300 lines
// because the bodies stay side by side in one table, where a reader compares what each kind sends and expects.
import net from 'node:net'
import {
  DONE,
  INVALID,
  invariants,
  outcomeOf,
  RATE,
  textOutcome,
  UNSUPPORTED,
  frameOutcome,
  type CaseKind,
  type CaseResult,
  type FuzzTarget,
} from './oracle.js'
import {encodeFrame, rawConnect, RawWs, type FrameSpec} from './raw-ws.js'
import {finishedCase} from './report.js'
import {chance, mulberry32, pick, randBytes, randInt, type Rng} from './rng.js'
import {sleep} from './wait.js'

/** Random options a session may legitimately ask for (raw PCM at 16 kHz most of the time). */
function validOptions(rng: Rng): Record<string, unknown> {
  const options: Record<string, unknown> = {}
  const encoding = pick(rng, ['f32le', 'f32le', 's16le', 's16le', 'webm', undefined])
  if (encoding) options['encoding'] = encoding
  if (encoding !== 'webm' && chance(rng, 0.25)) options['sample_rate'] = pick(rng, [8000, 22_050, 44_100, 48_000])
  if (chance(rng, 0.5)) options['step_ms'] = randInt(rng, 200, 3000)
  if (chance(rng, 0.5)) options['vad'] = chance(rng, 0.5)
  if (chance(rng, 0.5)) options['partials'] = chance(rng, 0.5)
  if (chance(rng, 0.3)) options['language'] = pick(rng, ['en', 'auto'])
  return options
}

const query = (options: Record<string, unknown>): string => {
  const entries = Object.entries(options).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
  return entries.length ? `?${entries.join('&')}` : ''
}

/**
 * `samples` of a noisy tone in the session's encoding. Random bytes would be fine for s16le but, read as
 * float32, hold NaN, infinities and 1e38s: the 'nonfinite' flavour sends exactly that.
 */
function audioBytes(rng: Rng, encoding: string, samples: number, flavour: 'tone' | 'noise' | 'nonfinite'): Buffer {
  if (flavour === 'nonfinite' || encoding === 'webm') return randBytes(rng, samples * 4)
  const f0 = 100 + rng() * 400
  const out = Buffer.alloc(samples * (encoding === 's16le' ? 2 : 4))
  for (let i = 0; i < samples; i++) {
    const v = flavour === 'noise' ? rng() * 2 - 1 : 0.3 * Math.sin((2 * Math.PI * f0 * i) / RATE) + 0.02 * (rng() * 2 - 1)
    if (encoding === 's16le') out.writeInt16LE(Math.round(v * 32767), i * 2)
    else out.writeFloatLE(v, i * 4)
  }
  return out
}

/** Sizes that add up to `total`, each 1..max. */
function splits(rng: Rng, total: number, max: number): number[] {
  const out: number[] = []
  for (let left = total; left > 0 && out.length < 100_000;) {
    const n = Math.min(left, randInt(rng, 1, max))
    out.push(n)
    left -= n
  }
  return out
}

interface CaseContext {
  rng: Rng
  target: FuzzTarget
  notes: string[]
  expected: string[]
  /** Exact samples the session should report in `done` (raw PCM at 16 kHz only). */
  audioSamples?: number
}

type CaseBody = (ctx: CaseContext) => Promise<string>

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function open(ctx: CaseContext, q = '', headers?: Record<string, string>): Promise<RawWs | string> {
  const up = await rawConnect(ctx.target.url, `/v1/stream${q}`, ctx.rng, {headers, timeoutMs: ctx.target.caseTimeoutMs})
  if (!up.ws) return `http:${up.status}`
  return up.ws
}

async function finishWith(ctx: CaseContext, ws: RawWs): Promise<string> {
  if (!(await ws.waitClosed(ctx.target.caseTimeoutMs))) return 'timeout'
  const outcome = outcomeOf(ws)
  const problems = invariants(ws.messages, outcome === DONE ? ctx.audioSamples : undefined)
  if (problems.length) ctx.notes.push(`INVARIANT: ${problems.join('; ')}`)
  return problems.length ? `invariant:${outcome}` : outcome
}

/** Sends audio as random-size frames; returns the bytes sent per flush segment. */
async function sendFrames(ctx: CaseContext, ws: RawWs, bytes: Buffer, maxFrame: number, flushAt?: number): Promise<number[]> {
  const segments = [0]
  let offset = 0
  for (const size of splits(ctx.rng, bytes.length, maxFrame)) {
    if (flushAt !== undefined && offset >= flushAt && segments.length === 1) {
      ws.text({type: 'flush'})
      segments.push(0)
    }
    ws.binary(bytes.subarray(offset, offset + size))
    segments[segments.length - 1] += size
    offset += size
    if (ws.socket.writableLength > 256 * 1024) await ws.drained(64 * 1024)
  }
  return segments
}

const bodies: Record<CaseKind, CaseBody> = {
  // Audio with no start frame: the defaults (or the query) apply at the first frame (docs: "Without either …").
  async 'binary-before-start'(ctx) {
    const {rng} = ctx
    const encoding = pick(rng, ['f32le', 's16le'])
    const q = encoding === 'f32le' && chance(rng, 0.5) ? '' : `?encoding=${encoding}`
    const flavour = pick(rng, ['tone', 'noise', 'nonfinite'] as const)
    const samples = randInt(rng, 1, 3 * RATE)
    const bytes = audioBytes(rng, encoding, samples, flavour)
    const maxFrame = pick(rng, [7, 640, 3200, 16_384, 60_000])
    const flushAt = chance(rng, 0.25) ? randInt(rng, 0, bytes.length) : undefined
    ctx.notes.push(
      `${q || 'no query'}, ${flavour}, ${bytes.length} B in frames ≤ ${maxFrame} B${flushAt !== undefined ? `, flush at ${flushAt}` : ''}`,
    )
    ctx.expected.push(DONE)
    const ws = await open(ctx, q)
    if (typeof ws === 'string') return ws
    const bps = encoding === 's16le' ? 2 : 4
    const segments = await sendFrames(ctx, ws, bytes, maxFrame, flushAt)
    ctx.audioSamples = segments.reduce((sum, n) => sum + Math.floor(n / bps), 0)
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // A start frame (or query, or both) with valid random options, then audio; webm of random bytes may not decode.
  async 'binary-after-start'(ctx) {
    const {rng} = ctx
    const options = validOptions(rng)
    const viaQuery = chance(rng, 0.3)
    const encoding = String(options['encoding'] ?? 'f32le')
    const rate = Number(options['sample_rate'] ?? RATE)
    const flavour = encoding === 'f32le' ? pick(rng, ['tone', 'noise', 'nonfinite'] as const) : pick(rng, ['tone', 'noise'] as const)
    const samples = randInt(rng, 1, Math.round(2.5 * rate))
    const bytes = audioBytes(rng, encoding, encoding === 'webm' ? randInt(rng, 1, 4000) : samples, flavour)
    const maxFrame = pick(rng, [5, 1000, 8192, 32_768])
    const flushAt = encoding !== 'webm' && chance(rng, 0.25) ? randInt(rng, 0, bytes.length) : undefined
    ctx.notes.push(
      `${JSON.stringify(options)} via ${viaQuery ? 'query' : 'start'}, ${flavour}, ${bytes.length} B in frames ≤ ${maxFrame} B${flushAt !== undefined ? `, flush at ${flushAt}` : ''}`,
    )
    ctx.expected.push(DONE)
    // Random bytes are not webm: ffmpeg refuses them (or, rarely, finds nothing in them and the stream is just empty).
    if (encoding === 'webm') ctx.expected.push('error:undecodable-audio/1007')
    const ws = await open(ctx, viaQuery ? query(options) : '')
    if (typeof ws === 'string') return ws
    if (!viaQuery) ws.text({type: 'start', ...options})
    const segments = await sendFrames(ctx, ws, bytes, maxFrame, flushAt)
    if (encoding !== 'webm' && rate === RATE) {
      const bps = encoding === 's16le' ? 2 : 4
      ctx.audioSamples = segments.reduce((sum, n) => sum + Math.floor(n / bps), 0)
    }
    ws.text({type: 'end'})
    const outcome = await finishWith(ctx, ws)
    const ready = ws.messages[0]
    if (ready?.type === 'ready') {
      const applied = ready['options'] as Record<string, unknown>
      for (const [key, value] of Object.entries(options)) {
        const want = key === 'language' && value === 'auto' ? undefined : value
        if (applied[key] !== want) return `invariant:ready.options.${key}=${String(applied[key])}`
      }
    }
    return outcome
  },

  // Text where audio or a start was expected: anything that is not a JSON object → invalid-message, 1007.
  async 'text-garbage'(ctx) {
    const {rng} = ctx
    const makers: Array<() => string> = [
      () => String.fromCharCode(...Array.from({length: randInt(rng, 1, 200)}, () => randInt(rng, 32, 126))),
      () => String.fromCodePoint(...Array.from({length: randInt(rng, 1, 60)}, () => randInt(rng, 0xa0, 0x2ffff))),
      () => JSON.stringify({type: 'start', encoding: 's16le', sample_rate: 16_000}).slice(0, randInt(rng, 1, 40)),
      () => `${JSON.stringify({type: pick(rng, ['end', 'flush', 'start'])})}${pick(rng, ['x', '}', ',', ' {}'])}`,
      () => '',
      () => `{'type': 'start'}`,
      () => randBytes(rng, randInt(rng, 1, 64)).toString('base64'),
    ]
    const text = pick(rng, makers)()
    const when = pick(rng, ['first', 'after-start', 'after-audio'] as const)
    const expected = textOutcome(text)
    ctx.expected.push(expected === 'control' ? DONE : expected)
    ctx.notes.push(`${when}: ${JSON.stringify(text.slice(0, 80))}`)
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (when !== 'first') ws.text({type: 'start', encoding: 's16le'})
    if (when === 'after-audio') await sendFrames(ctx, ws, audioBytes(rng, 's16le', randInt(rng, 1, RATE), 'tone'), 4000)
    ws.text(text)
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  async 'json-not-object'(ctx) {
    const {rng} = ctx
    const text = pick(rng, [
      '42',
      '[]',
      '[{"type":"start"}]',
      '"start"',
      'null',
      'true',
      '-0.5e3',
      '"{\\"type\\":\\"end\\"}"',
      String(rng() * 1e6),
    ])
    ctx.notes.push(text)
    ctx.expected.push(INVALID)
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (chance(rng, 0.5)) ws.text({type: 'start'})
    ws.text(text)
    return finishWith(ctx, ws)
  },

  // JSON objects with a type the protocol does not know → unsupported-message, 1003.
  async 'unknown-type'(ctx) {
    const {rng} = ctx
    const type = pick<unknown>(rng, [
      'START',
      'End',
      'stop',
      'pause',
      '',
      'start ',
      'flush\u0000',
      42,
      null,
      true,
      {type: 'end'},
      ['end'],
      undefined,
      'x'.repeat(randInt(rng, 1, 300)),
    ])
    const message: Record<string, unknown> = type === undefined ? {} : {type}
    if (chance(rng, 0.5)) message['encoding'] = pick(rng, ['s16le', 'mp3', 7])
    ctx.notes.push(JSON.stringify(message).slice(0, 120))
    ctx.expected.push(UNSUPPORTED)
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (chance(rng, 0.4)) ws.binary(audioBytes(rng, 'f32le', 1600, 'tone'))
    ws.text(message)
    return finishWith(ctx, ws)
  },

  // One bad option value: in a start frame → invalid-message, 1007; in the query → HTTP 400 at the upgrade.
  // (A language the model lacks passes the query check and fails at start: 1007 both ways.)
  async 'bad-option'(ctx) {
    const {rng} = ctx
    const table: Record<string, unknown[]> = {
      sample_rate: [7999, 192_001, 16_000.5, 'fast', -16_000, 0, true, {}, 'Infinity'],
      encoding: ['mp3', 'F32LE', '', 'pcm', 16, 'opus'],
      language: ['english', 'e', 'en_US', '12', 'xx', 'zz-qq', ''],
      task: ['dance', '', 1, 'TRANSCRIBE'],
      step_ms: [99, 30_001, 'soon', -1, 0, true, '1e9'],
      vad: ['maybe', 2, 'yes', 'TRUE', {}],
      partials: ['no', -1, 'False', []],
    }
    const key = pick(rng, Object.keys(table))
    const value = pick(rng, table[key])
    const viaQuery = chance(rng, 0.35) && typeof value !== 'object' && typeof value !== 'boolean'
    ctx.notes.push(`${key}=${JSON.stringify(value)} via ${viaQuery ? 'query' : 'start'}`)
    const lacked = key === 'language' && (value === 'xx' || value === 'zz-qq')
    ctx.expected.push(viaQuery && !lacked ? 'http:400' : INVALID)
    const good = validOptions(rng)
    delete good[key]
    delete good['encoding'] // keep ffmpeg out of it: the error comes before any audio
    delete good['sample_rate']
    const ws = await open(ctx, viaQuery ? query({...good, [key]: value}) : '')
    if (typeof ws === 'string') return ws
    if (!viaQuery) ws.text({type: 'start', ...good, [key]: value})
    ws.binary(audioBytes(rng, 'f32le', 1600, 'tone'))
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // start after audio, twice, or after a flush → unsupported-message, 1003.
  async 'start-late'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['after-audio', 'twice', 'after-flush'] as const)
    ctx.notes.push(variant)
    ctx.expected.push(UNSUPPORTED)
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (variant === 'after-audio') ws.binary(audioBytes(rng, 'f32le', randInt(rng, 1, 8000), 'tone'))
    else ws.text({type: 'start', encoding: 'f32le'})
    if (variant === 'after-flush') ws.text({type: 'flush'})
    ws.text({type: 'start', encoding: 's16le'})
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // Upgrades the server refuses before any WebSocket exists.
  async 'http-refusal'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['bad-query', 'wrong-path', 'foreign-origin'] as const)
    ctx.notes.push(variant)
    if (variant === 'bad-query') {
      ctx.expected.push('http:400')
      const ws = await open(ctx, pick(rng, ['?sample_rate=1', '?encoding=wav', '?step_ms=0', '?vad=perhaps', '?task=sing']))
      if (typeof ws !== 'string') ws.socket.destroy()
      return typeof ws === 'string' ? ws : 'http:101'
    }
    if (variant === 'wrong-path') {
      ctx.expected.push('http:404')
      const up = await rawConnect(ctx.target.url, pick(rng, ['/v1/streams', '/v2/stream', '/', '/health', '/v1/stream/..%2f']), rng)
      up.ws?.socket.destroy()
      return `http:${up.status}`
    }
    ctx.expected.push('http:403')
    const ws = await open(ctx, '', {Origin: pick(rng, ['http://evil.example', 'null', 'http://127.0.0.1:1'])})
    if (typeof ws !== 'string') ws.socket.destroy()
    return typeof ws === 'string' ? ws : 'http:101'
  },

  // A text frame that is not UTF-8: ws closes with 1007 itself (no error message).
  async 'invalid-utf8'(ctx) {
    const {rng} = ctx
    const good = Buffer.from(JSON.stringify({type: 'start', encoding: 'f32le'}))
    const bad = pick(rng, [
      Buffer.from([0xff]),
      Buffer.from([0xc3, 0x28]),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from([0xf5, 0x80, 0x80, 0x80]),
      Buffer.from([0xe2, 0x82]),
    ])
    const at = randInt(rng, 0, good.length)
    const payload = Buffer.concat([good.subarray(0, at), bad, good.subarray(at)])
    const when = pick(rng, ['first', 'after-audio'] as const)
    ctx.notes.push(`${when}: ${payload.toString('hex')}`)
    ctx.expected.push('close:1007')
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (when === 'after-audio') ws.binary(audioBytes(rng, 'f32le', 4000, 'tone'))
    ws.send({opcode: 1, payload})
    return finishWith(ctx, ws)
  },

  // A frame over --max-frame-bytes → close 1009 (by ws).
  async oversized(ctx) {
    const {rng, target} = ctx
    const size = randInt(rng, target.maxFrameBytes + 1, target.maxFrameBytes * 2)
    const opcode = pick(rng, [1, 2])
    const when = pick(rng, ['first', 'after-start', 'after-audio'] as const)
    ctx.notes.push(`${when}: ${opcode === 1 ? 'text' : 'binary'} ${size} B`)
    ctx.expected.push('close:1009')
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (when !== 'first') ws.text({type: 'start', encoding: 'f32le'})
    if (when === 'after-audio') ws.binary(audioBytes(rng, 'f32le', 1600, 'tone'))
    ws.send({opcode, payload: opcode === 1 ? Buffer.alloc(size, 0x20) : randBytes(rng, size)})
    return finishWith(ctx, ws)
  },

  // One random frame header (FIN, RSV bits, opcode, MASK, length form) and payload, then a well-formed `end`.
  async 'random-frame'(ctx) {
    const {rng, target} = ctx
    const spec: FrameSpec = {
      opcode: chance(rng, 0.6) ? pick(rng, [1, 2, 8, 9, 10]) : randInt(rng, 0, 15),
      fin: chance(rng, 0.8),
      rsv: chance(rng, 0.8) ? 0 : pick(rng, [0x10, 0x20, 0x40, 0x70]),
      mask: chance(rng, 0.85),
      lengthForm: pick(rng, ['min', 'min', 'min', 16, 64] as const),
      payload: Buffer.alloc(0),
    }
    const tooLong = spec.opcode < 8 && chance(rng, 0.1)
    const length = tooLong
      ? randInt(rng, target.maxFrameBytes + 1, 4 * target.maxFrameBytes)
      : spec.opcode >= 8
        ? randInt(rng, 0, 140)
        : randInt(rng, 0, 4000)
    spec.payload = randomPayload(rng, spec.opcode, tooLong ? 16 : length)
    if (tooLong) spec.declaredLength = length
    const expected = frameOutcome(spec, target.maxFrameBytes)
    ctx.expected.push(...expected)
    ctx.notes.push(
      `fin=${spec.fin} rsv=${spec.rsv} op=${spec.opcode} mask=${spec.mask} len=${spec.declaredLength ?? spec.payload.length}(${spec.lengthForm}) ${spec.payload.subarray(0, 24).toString('hex')}`,
    )
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    ws.send(spec)
    if (!tooLong) ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // 2,000 frames of 1-7 bytes (samples split at odd byte boundaries), then end: every sample arrives once.
  async 'tiny-flood'(ctx) {
    const {rng} = ctx
    const encoding = pick(rng, ['s16le', 'f32le'])
    const frames = Array.from({length: 2000}, () => randInt(rng, 1, 7))
    const total = frames.reduce((a, b) => a + b, 0)
    const bps = encoding === 's16le' ? 2 : 4
    const bytes = audioBytes(rng, encoding, Math.ceil(total / bps), 'tone').subarray(0, total)
    const viaQuery = chance(rng, 0.5)
    // Sometimes behind a flush (the session's queue waits for that inference while the flood arrives).
    const before = chance(rng, 0.3) ? audioBytes(rng, encoding, randInt(rng, 1, 2 * RATE), 'tone') : undefined
    ctx.notes.push(
      `${encoding} via ${viaQuery ? 'query' : 'start'}, ${before ? `${before.length} B and a flush, then ` : ''}${frames.length} frames, ${total} B`,
    )
    ctx.expected.push(DONE)
    ctx.audioSamples = Math.floor(total / bps) + (before ? Math.floor(before.length / bps) : 0)
    const ws = await open(ctx, viaQuery ? `?encoding=${encoding}&vad=false` : '')
    if (typeof ws === 'string') return ws
    if (!viaQuery) ws.text({type: 'start', encoding, vad: false})
    if (before) {
      await sendFrames(ctx, ws, before, 3200)
      ws.text({type: 'flush'})
    }
    let offset = 0
    for (const [i, size] of frames.entries()) {
      ws.binary(bytes.subarray(offset, offset + size))
      offset += size
      if (i % 250 === 249) await yieldNow()
    }
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // Thousands of flushes, empty binary frames or 1-byte frames queued behind a flush that waits for an
  // inference: handled, or cut off as overloaded (1013) once the queue passes the backlog cap; never memory.
  async 'message-flood'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['flush', 'empty-binary', 'one-byte'] as const)
    const count = randInt(rng, 3000, 20_000)
    const before = audioBytes(rng, 's16le', randInt(rng, RATE / 2, 2 * RATE), 'tone')
    ctx.notes.push(`${before.length} B, flush, then ${count} × ${variant}`)
    ctx.expected.push(DONE, 'error:overloaded/1013')
    ctx.audioSamples = before.length / 2 + (variant === 'one-byte' ? Math.floor(count / 2) : 0)
    const ws = await open(ctx, '?encoding=s16le&vad=false')
    if (typeof ws === 'string') return ws
    await sendFrames(ctx, ws, before, 3200)
    ws.text({type: 'flush'})
    const one =
      variant === 'flush'
        ? {opcode: 1, payload: Buffer.from('{"type":"flush"}')}
        : {opcode: 2, payload: Buffer.alloc(variant === 'one-byte' ? 1 : 0, 7)}
    for (let sent = 0; sent < count && !ws.ended; sent += 1000) {
      const n = Math.min(1000, count - sent)
      ws.socket.write(Buffer.concat(Array.from({length: n}, () => encodeFrame(one, randBytes(rng, 4)))))
      await ws.drained(256 * 1024)
    }
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // Audio and a flush, again and again at a pace inference keeps up with: finals continue (ids, times) and
  // every finished segment's memory is released (each Streamer holds a 30 s ring and mel buffers).
  async 'flush-cycles'(ctx) {
    const {rng} = ctx
    const encoding = pick(rng, ['s16le', 'f32le'])
    const cycles = randInt(rng, 20, 40)
    ctx.notes.push(`${encoding}, ${cycles} cycles of audio + flush`)
    ctx.expected.push(DONE)
    const ws = await open(ctx, `?encoding=${encoding}&vad=false&step_ms=${randInt(rng, 200, 1000)}`)
    if (typeof ws === 'string') return ws
    let samples = 0
    for (let i = 0; i < cycles && !ws.ended; i++) {
      const n = randInt(rng, 800, 3200)
      await sendFrames(ctx, ws, audioBytes(rng, encoding, n, pick(rng, ['tone', 'noise'] as const)), 3200)
      samples += n
      ws.text({type: 'flush'})
      await sleep(150)
    }
    ctx.audioSamples = samples
    ws.text({type: 'end'})
    return finishWith(ctx, ws)
  },

  // Silence after the upgrade, after start, or in the middle of a frame → idle-timeout, 1008.
  async stall(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['silent', 'after-start', 'mid-frame'] as const)
    ctx.notes.push(variant)
    ctx.expected.push('error:idle-timeout/1008')
    const ws = await open(ctx)
    if (typeof ws === 'string') return ws
    if (variant !== 'silent') ws.text({type: 'start', encoding: 's16le'})
    if (variant === 'mid-frame') {
      const frame = encodeFrame({opcode: 2, payload: audioBytes(rng, 's16le', 800, 'tone')}, randBytes(rng, 4))
      ws.socket.write(frame.subarray(0, randInt(rng, 1, frame.length - 1)))
    }
    return finishWith(ctx, ws)
  },

  // Open, maybe send a bit, then drop the TCP connection (FIN or RST) at a random point.
  async 'connect-drop'(ctx) {
    const {rng, target} = ctx
    const stage = pick(rng, ['mid-handshake', 'after-upgrade', 'after-start', 'mid-audio', 'mid-frame', 'after-end'] as const)
    const reset = chance(rng, 0.5)
    const options = validOptions(rng)
    ctx.notes.push(`${stage}, ${reset ? 'RST' : 'FIN'}, ${JSON.stringify(options)}`)
    ctx.expected.push('dropped-by-client')
    // Random bytes are not webm: ffmpeg may give up (and the server close) before the drop.
    if (options['encoding'] === 'webm' && stage !== 'after-upgrade') ctx.expected.push('error:undecodable-audio/1007')
    if (stage === 'mid-handshake') {
      const {hostname, port} = new URL(target.url)
      const socket = net.connect({host: hostname, port: Number(port)})
      socket.on('error', () => {})
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000)
        socket.once('connect', () => {
          socket.write(`GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConn`.slice(0, randInt(rng, 1, 60)))
          clearTimeout(timer)
          resolve()
        })
      })
      socket.destroy()
      return 'dropped-by-client'
    }
    const ws = await open(ctx, query(options))
    if (typeof ws === 'string') return ws
    const encoding = String(options['encoding'] ?? 'f32le')
    if (stage !== 'after-upgrade') ws.text({type: 'start'})
    if (stage === 'mid-audio' || stage === 'after-end')
      await sendFrames(ctx, ws, audioBytes(rng, encoding, randInt(rng, 1, RATE * 2), 'tone'), 6400)
    if (stage === 'mid-frame') {
      const frame = encodeFrame({opcode: 2, payload: audioBytes(rng, encoding, 3200, 'tone')}, randBytes(rng, 4))
      ws.socket.write(frame.subarray(0, randInt(rng, 1, frame.length - 1)))
    }
    if (stage === 'after-end') {
      ws.text({type: 'end'})
      // The server may finish the session before the drop.
      ctx.expected.push(DONE)
    }
    if (chance(rng, 0.5)) await sleep(randInt(rng, 0, 300))
    ws.drop(reset)
    return ws.closeCode === undefined ? 'dropped-by-client' : outcomeOf(ws)
  },

  // Streams, stops reading, and keeps the server writing (pings, each answered by a pong it must buffer):
  // the server drops the connection (ws ends a client with 60 unsent pongs; the session ends one with
  // over 1 MiB of unsent events) instead of buffering without bound.
  async 'not-reading'(ctx) {
    const {rng, target} = ctx
    ctx.expected.push('dropped')
    const ws = await open(ctx, '?encoding=s16le&step_ms=200&vad=false')
    if (typeof ws === 'string') return ws
    await sendFrames(ctx, ws, audioBytes(rng, 's16le', RATE, 'tone'), 3200)
    ws.stopReading()
    const ping = Buffer.alloc(125, 0x70)
    const deadline = Date.now() + target.caseTimeoutMs
    let pings = 0
    // Small bursts (ws also ends a client that has more than 60 pings in flight at once, reading or not), so
    // only the unread pongs piling up behind full kernel buffers can trigger the drop.
    while (!ws.ended && pings < 2_000_000 && Date.now() < deadline) {
      for (let i = 0; i < 20; i++) ws.send({opcode: 9, payload: ping})
      pings += 20
      if (pings % 2000 === 0) ws.binary(audioBytes(rng, 's16le', 160, 'tone'))
      await ws.drained(16 * 1024, 2000)
      await sleep(1)
    }
    ctx.notes.push(`${pings} pings sent before the drop`)
    if (!ws.ended) {
      ws.socket.destroy()
      return 'timeout'
    }
    return ws.closeCode === undefined ? 'dropped' : outcomeOf(ws)
  },
}

/** A payload for a random frame of `opcode`: for text, JSON controls or random text; for close, a code and reason. */
function randomPayload(rng: Rng, opcode: number, length: number): Buffer {
  if (opcode === 1 && chance(rng, 0.6)) {
    return Buffer.from(
      pick(rng, [
        '{"type":"flush"}',
        '{"type":"start","encoding":"s16le"}',
        '{"type":"nope"}',
        'not json',
        '[1,2]',
        '{"type":"start","step_ms":5}',
      ]),
    )
  }
  if (opcode === 8 && length >= 2) {
    const code = pick(rng, [1000, 1001, 1003, 1008, 1011, 3000, 4999, 0, 999, 1004, 1005, 1006, 1015, 2000, 5000, 65_535])
    const reason = chance(rng, 0.8) ? Buffer.from('bye'.repeat(randInt(rng, 0, 10))) : Buffer.from([0xff, 0xfe])
    const out = Buffer.concat([Buffer.alloc(2), reason]).subarray(0, Math.min(125, 2 + reason.length))
    out.writeUInt16BE(code, 0)
    return out
  }
  if (opcode === 2) return audioBytes(rng, 'f32le', Math.floor(length / 4), pick(rng, ['tone', 'nonfinite'] as const))
  return randBytes(rng, length)
}

/** Runs one seeded case (bounded by target.caseTimeoutMs, plus slack) and classifies it. */
export async function runCase(kind: CaseKind, seed: number, target: FuzzTarget): Promise<CaseResult> {
  const ctx: CaseContext = {rng: mulberry32(seed), target, notes: [], expected: []}
  const started = performance.now()
  let outcome: string
  try {
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), target.caseTimeoutMs * 2 + 5000)))
    outcome = await Promise.race([bodies[kind](ctx), bound])
    clearTimeout(timer)
  } catch (error) {
    outcome = `threw:${error instanceof Error ? error.message : String(error)}`
  }
  return finishedCase(kind, seed, outcome, ctx, started)
}
