import {halfToFloat32} from '../runtime/float16.js'
import {inputType, Tensor, type Feeds, type Session} from '../runtime/onnx.js'

/** Shapes the past tensors must have, from config.json. */
export interface DecoderShape {
  layers: number
  heads: number
  headDim: number
}

/**
 * Runs the decoder one call at a time and hands back the logits of the last position.
 * `start` begins a window (prompt tokens + encoder output); `next` feeds one more token.
 */
export interface DecoderRunner {
  start(tokens: readonly number[], encoderHidden: Tensor): Promise<Float32Array>
  next(token: number): Promise<Float32Array>
}

export type DecoderSessions =
  | {layout: 'merged'; merged: Session}
  | {layout: 'split'; decoder: Session; decoderWithPast: Session}

const firstSession = (sessions: DecoderSessions): Session =>
  sessions.layout === 'merged' ? sessions.merged : sessions.decoderWithPast

const pastName = (layer: number, kind: 'decoder' | 'encoder', part: 'key' | 'value'): string =>
  `past_key_values.${layer}.${kind}.${part}`
const presentName = (layer: number, kind: 'decoder' | 'encoder', part: 'key' | 'value'): string =>
  `present.${layer}.${kind}.${part}`

const idsTensor = (tokens: readonly number[]): Tensor => {
  const data = new BigInt64Array(tokens.length)
  for (let i = 0; i < tokens.length; i++) data[i] = BigInt(tokens[i]!)
  return new Tensor('int64', data, [1, tokens.length])
}

/** The last position's logits; float16 models' rows are converted into one reused buffer. */
const lastRow = (logits: Tensor, io: DecoderIo): Float32Array => {
  const vocab = logits.dims[2]!
  const data = logits.data as Float32Array | Uint16Array
  const row = data.subarray(data.length - vocab)
  if (row instanceof Float32Array) return row
  if (io.logits.length !== vocab) io.logits = new Float32Array(vocab)
  return halfToFloat32(row, io.logits)
}

/** Names and constant tensors shared by both runners, built once per model. */
class DecoderIo {
  readonly selfPast: string[] = []
  readonly crossPast: string[] = []
  readonly selfPresent: string[] = []
  readonly crossPresent: string[] = []
  readonly empty: Tensor
  logits = new Float32Array(0)
  readonly cacheOff = new Tensor('bool', new Uint8Array([0]), [1])
  readonly cacheOn = new Tensor('bool', new Uint8Array([1]), [1])

  constructor(shape: DecoderShape, session: Session) {
    for (let layer = 0; layer < shape.layers; layer++) {
      for (const part of ['key', 'value'] as const) {
        this.selfPast.push(pastName(layer, 'decoder', part))
        this.crossPast.push(pastName(layer, 'encoder', part))
        this.selfPresent.push(presentName(layer, 'decoder', part))
        this.crossPresent.push(presentName(layer, 'encoder', part))
      }
    }
    const dims = [1, shape.heads, 0, shape.headDim]
    this.empty =
      inputType(session, this.selfPast[0]!) === 'float16'
        ? new Tensor('float16', new Uint16Array(0), dims)
        : new Tensor('float32', new Float32Array(0), dims)
  }

  emptyPast(feeds: Feeds): void {
    for (const name of this.selfPast) feeds[name] = this.empty
    for (const name of this.crossPast) feeds[name] = this.empty
  }
}

/** A call with no past: the merged decoder's no-cache branch, or the split layout's first decoder. */
function noPastCall(sessions: DecoderSessions, io: DecoderIo, tokens: readonly number[], encoderHidden: Tensor): {session: Session; feeds: Feeds} {
  const feeds: Feeds = {input_ids: idsTensor(tokens), encoder_hidden_states: encoderHidden}
  if (sessions.layout === 'split') return {session: sessions.decoder, feeds}
  io.emptyPast(feeds)
  feeds['use_cache_branch'] = io.cacheOff
  return {session: sessions.merged, feeds}
}

/**
 * KV-cached decoding. Self-attention K/V grow one token a step; cross-attention K/V are fetched
 * once, from the first call of a window, and fed back unchanged: later calls never ask the runtime
 * to copy them out again, since that copy costs more than the token itself.
 */
export class CachedDecoder implements DecoderRunner {
  readonly #sessions: DecoderSessions
  readonly #io: DecoderIo
  readonly #token = new Tensor('int64', new BigInt64Array(1), [1, 1])
  readonly #firstFetches: string[]
  readonly #nextFetches: string[]
  readonly #feeds: Feeds = {}
  #encoderHidden: Tensor | undefined
  #cross: Tensor[] = []
  #self: Tensor[] = []

  constructor(sessions: DecoderSessions, shape: DecoderShape) {
    this.#sessions = sessions
    this.#io = new DecoderIo(shape, firstSession(sessions))
    this.#firstFetches = ['logits', ...this.#io.selfPresent, ...this.#io.crossPresent]
    this.#nextFetches = ['logits', ...this.#io.selfPresent]
  }

  async start(tokens: readonly number[], encoderHidden: Tensor): Promise<Float32Array> {
    this.#encoderHidden = encoderHidden
    const {session, feeds} = noPastCall(this.#sessions, this.#io, tokens, encoderHidden)
    const out = await session.run(feeds, this.#firstFetches)
    this.#self = this.#io.selfPresent.map((name) => out[name]!)
    this.#cross = this.#io.crossPresent.map((name) => out[name]!)
    return lastRow(out['logits']!, this.#io)
  }

  async next(token: number): Promise<Float32Array> {
    const io = this.#io
    const feeds = this.#feeds
    ;(this.#token.data as BigInt64Array)[0] = BigInt(token)
    feeds['input_ids'] = this.#token
    for (let i = 0; i < io.selfPast.length; i++) {
      feeds[io.selfPast[i]!] = this.#self[i]!
      feeds[io.crossPast[i]!] = this.#cross[i]!
    }
    let session: Session
    if (this.#sessions.layout === 'merged') {
      session = this.#sessions.merged
      feeds['encoder_hidden_states'] = this.#encoderHidden!
      feeds['use_cache_branch'] = io.cacheOn
    } else {
      session = this.#sessions.decoderWithPast
      if (session.inputNames.includes('encoder_hidden_states')) feeds['encoder_hidden_states'] = this.#encoderHidden!
    }
    const out = await session.run(feeds, this.#nextFetches)
    for (let i = 0; i < io.selfPresent.length; i++) this.#self[i] = out[io.selfPresent[i]!]!
    return lastRow(out['logits']!, this.#io)
  }
}

/** The baseline: every call runs the whole sequence with no past, as decoders without a cache do. */
export class UncachedDecoder implements DecoderRunner {
  readonly #sessions: DecoderSessions
  readonly #io: DecoderIo
  #tokens: number[] = []
  #encoderHidden: Tensor | undefined

  constructor(sessions: DecoderSessions, shape: DecoderShape) {
    this.#sessions = sessions
    this.#io = new DecoderIo(shape, firstSession(sessions))
  }

  start(tokens: readonly number[], encoderHidden: Tensor): Promise<Float32Array> {
    this.#tokens = [...tokens]
    this.#encoderHidden = encoderHidden
    return this.#run()
  }

  next(token: number): Promise<Float32Array> {
    this.#tokens.push(token)
    return this.#run()
  }

  async #run(): Promise<Float32Array> {
    const {session, feeds} = noPastCall(this.#sessions, this.#io, this.#tokens, this.#encoderHidden!)
    const out = await session.run(feeds, ['logits'])
    return lastRow(out['logits']!, this.#io)
  }
}
