// Over 300 lines: the cached and uncached runners and the cross-attention call share this module's
// private tensor plumbing (DecoderIo, noPastCall, the logits row views); split apart, they would
// have to export it as API.
import {halfToFloat32} from '../runtime/float16.js'
import {inputType, Tensor, type Feeds, type Session} from '../runtime/onnx.js'

/** Shapes the past tensors must have, from config.json. */
export interface DecoderShape {
  layers: number
  heads: number
  headDim: number
}

/** Logits of the positions a draft was fed at: row i follows the start tokens and draft[0, i). */
export interface DraftRows {
  /** The draft's length plus one. */
  readonly count: number
  row(i: number): Float32Array
}

/** A runner's self-attention cache at one point of one sequence: beams keep one each. Opaque. */
export interface DecoderState {
  readonly positions: number
}

/**
 * Runs the decoder one call at a time and hands back the logits of the last position.
 * `start` begins a window (prompt tokens + encoder output); `next` feeds one more token.
 * `startWithDraft` also feeds a guess at the output in that first call, so tokens that match the
 * guess cost no call of their own; `rewind(n)` then drops all but the first n draft tokens.
 */
export interface DecoderRunner {
  start(tokens: readonly number[], encoderHidden: Tensor): Promise<Float32Array>
  startWithDraft(tokens: readonly number[], draft: readonly number[], encoderHidden: Tensor): Promise<DraftRows>
  rewind(keptDraft: number): void
  next(token: number): Promise<Float32Array>
  /** A copy of the logits at `position` of the window's first call (e.g. start-of-transcript's, for no-speech). */
  startRow(position: number): Float32Array
  /** The sequence so far, to come back to with `restore` (beam search); costs no copy of the cache. */
  snapshot(): DecoderState
  /** Continues from a snapshot of this window: the next `next()` extends that sequence. */
  restore(state: DecoderState): void
}

export type DecoderSessions = {layout: 'merged'; merged: Session} | {layout: 'split'; decoder: Session; decoderWithPast: Session}

const firstSession = (sessions: DecoderSessions): Session => (sessions.layout === 'merged' ? sessions.merged : sessions.decoderWithPast)

const pastName = (layer: number, kind: 'decoder' | 'encoder', part: 'key' | 'value'): string => `past_key_values.${layer}.${kind}.${part}`
const presentName = (layer: number, kind: 'decoder' | 'encoder', part: 'key' | 'value'): string => `present.${layer}.${kind}.${part}`

const idsTensor = (tokens: readonly number[]): Tensor => {
  const data = new BigInt64Array(tokens.length)
  for (let i = 0; i < tokens.length; i++) data[i] = BigInt(tokens[i]!)
  return new Tensor('int64', data, [1, tokens.length])
}

/** A fresh copy of row `index`: the reused conversion buffer must not leak to callers that keep it. */
const copiedRow = (logits: Tensor | undefined, index: number, io: DecoderIo): Float32Array => {
  if (!logits) throw new Error('startRow before start')
  return Float32Array.from(logitsRow(logits, index, io))
}

/** Row `index` of a [1, positions, vocab] logits tensor; float16 rows are converted into one reused buffer. */
function logitsRow(logits: Tensor, index: number, io: DecoderIo): Float32Array {
  const vocab = logits.dims[2]!
  const row = (logits.data as Float32Array | Uint16Array).subarray(index * vocab, (index + 1) * vocab)
  if (row instanceof Float32Array) return row
  if (io.logits.length !== vocab) io.logits = new Float32Array(vocab)
  return halfToFloat32(row, io.logits)
}

const lastRow = (logits: Tensor, io: DecoderIo): Float32Array => logitsRow(logits, logits.dims[1]! - 1, io)

/** The logits rows of the last `count` positions. */
const lastRows = (logits: Tensor, count: number, io: DecoderIo): DraftRows => {
  const first = logits.dims[1]! - count
  return {count, row: (i) => logitsRow(logits, first + i, io)}
}

/** The first `length` positions of a [1, heads, positions, headDim] K/V tensor. */
function truncatePositions(tensor: Tensor, length: number): Tensor {
  const [batch, heads, positions, headDim] = tensor.dims as [number, number, number, number]
  if (length >= positions) return tensor
  const source = tensor.data as Float32Array | Uint16Array
  const kept =
    source instanceof Float32Array ? new Float32Array(batch * heads * length * headDim) : new Uint16Array(batch * heads * length * headDim)
  for (let head = 0; head < batch * heads; head++) {
    const from = head * positions * headDim
    kept.set(source.subarray(from, from + length * headDim), head * length * headDim)
  }
  return kept instanceof Float32Array
    ? new Tensor('float32', kept, [batch, heads, length, headDim])
    : new Tensor('float16', kept, [batch, heads, length, headDim])
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
function noPastCall(
  sessions: DecoderSessions,
  io: DecoderIo,
  tokens: readonly number[],
  encoderHidden: Tensor,
): {session: Session; feeds: Feeds} {
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
  /** Fetches of a window's first call; cross-attention K/V land in tensors reused for every window. */
  readonly #firstFetches: Record<string, Tensor | null> = {}
  /** Fetches of later calls; the one-row logits land in a tensor reused for every token. */
  readonly #nextFetches: Record<string, Tensor | null> = {}
  readonly #feeds: Feeds = {}
  #encoderHidden: Tensor | undefined
  #cross: Tensor[] = []
  #self: Tensor[] = []
  /** Positions in the self-attention cache once `start` (or `startWithDraft`) has run. */
  #startLength = 0
  #startLogits: Tensor | undefined

  constructor(sessions: DecoderSessions, shape: DecoderShape) {
    this.#sessions = sessions
    this.#io = new DecoderIo(shape, firstSession(sessions))
    for (const name of ['logits', ...this.#io.selfPresent, ...this.#io.crossPresent]) this.#firstFetches[name] = null
    for (const name of ['logits', ...this.#io.selfPresent]) this.#nextFetches[name] = null
  }

  async start(tokens: readonly number[], encoderHidden: Tensor): Promise<Float32Array> {
    return lastRow(await this.#first(tokens, encoderHidden), this.#io)
  }

  async startWithDraft(tokens: readonly number[], draft: readonly number[], encoderHidden: Tensor): Promise<DraftRows> {
    const logits = await this.#first([...tokens, ...draft], encoderHidden)
    this.#startLength = tokens.length
    return lastRows(logits, draft.length + 1, this.#io)
  }

  rewind(keptDraft: number): void {
    const length = this.#startLength + keptDraft
    this.#self = this.#self.map((tensor) => truncatePositions(tensor, length))
  }

  async #first(tokens: readonly number[], encoderHidden: Tensor): Promise<Tensor> {
    this.#encoderHidden = encoderHidden
    const {session, feeds} = noPastCall(this.#sessions, this.#io, tokens, encoderHidden)
    this.#reuseCrossOutputs(encoderHidden.dims[1]!)
    const out = await session.run(feeds, this.#firstFetches)
    this.#self = this.#io.selfPresent.map((name) => out[name]!)
    this.#cross = this.#io.crossPresent.map((name) => out[name]!)
    this.#startLength = tokens.length
    const logits = out['logits']!
    this.#startLogits = logits
    this.#reuseLogitsOutput(logits)
    return logits
  }

  startRow(position: number): Float32Array {
    return copiedRow(this.#startLogits, position, this.#io)
  }

  // The runtime allocates new present tensors on every call and never writes into the ones fed as
  // past, so a snapshot is the list of tensor references: beams share their common prefix's cache.
  snapshot(): DecoderState {
    const self = [...this.#self]
    return {positions: self[0]?.dims[2] ?? 0, self} as CachedState
  }

  restore(state: DecoderState): void {
    this.#self = [...(state as CachedState).self]
  }

  #reuseLogitsOutput(first: Tensor): void {
    const vocab = first.dims[2]!
    const current = this.#nextFetches['logits']
    if (current && current.dims[2] === vocab) return
    this.#nextFetches['logits'] =
      first.type === 'float16'
        ? new Tensor('float16', new Uint16Array(vocab), [1, 1, vocab])
        : new Tensor('float32', new Float32Array(vocab), [1, 1, vocab])
  }

  /** Allocated once per runner (the frame count is fixed by the encoder), so no window allocates them. */
  #reuseCrossOutputs(frames: number): void {
    const {crossPresent, empty} = this.#io
    const current = this.#firstFetches[crossPresent[0]!]
    if (current && current.dims[2] === frames) return
    const [, heads, , headDim] = empty.dims as [number, number, number, number]
    const size = heads * frames * headDim
    const dims = [1, heads, frames, headDim]
    for (const name of crossPresent) {
      this.#firstFetches[name] =
        empty.type === 'float16' ? new Tensor('float16', new Uint16Array(size), dims) : new Tensor('float32', new Float32Array(size), dims)
    }
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

interface CachedState extends DecoderState {
  readonly self: readonly Tensor[]
}

interface UncachedState extends DecoderState {
  readonly tokens: readonly number[]
}

/** The baseline: every call runs the whole sequence with no past, as decoders without a cache do. */
export class UncachedDecoder implements DecoderRunner {
  readonly #sessions: DecoderSessions
  readonly #io: DecoderIo
  #tokens: number[] = []
  #startLength = 0
  #encoderHidden: Tensor | undefined
  #startLogits: Tensor | undefined

  constructor(sessions: DecoderSessions, shape: DecoderShape) {
    this.#sessions = sessions
    this.#io = new DecoderIo(shape, firstSession(sessions))
  }

  async start(tokens: readonly number[], encoderHidden: Tensor): Promise<Float32Array> {
    this.#tokens = [...tokens]
    this.#encoderHidden = encoderHidden
    this.#startLogits = await this.#run()
    return lastRow(this.#startLogits, this.#io)
  }

  async startWithDraft(tokens: readonly number[], draft: readonly number[], encoderHidden: Tensor): Promise<DraftRows> {
    this.#tokens = [...tokens, ...draft]
    this.#startLength = tokens.length
    this.#encoderHidden = encoderHidden
    this.#startLogits = await this.#run()
    return lastRows(this.#startLogits, draft.length + 1, this.#io)
  }

  startRow(position: number): Float32Array {
    return copiedRow(this.#startLogits, position, this.#io)
  }

  snapshot(): DecoderState {
    return {positions: this.#tokens.length, tokens: [...this.#tokens]} as UncachedState
  }

  restore(state: DecoderState): void {
    this.#tokens = [...(state as UncachedState).tokens]
  }

  rewind(keptDraft: number): void {
    this.#tokens.length = Math.min(this.#tokens.length, this.#startLength + keptDraft)
  }

  async next(token: number): Promise<Float32Array> {
    this.#tokens.push(token)
    return lastRow(await this.#run(), this.#io)
  }

  async #run(): Promise<Tensor> {
    const {session, feeds} = noPastCall(this.#sessions, this.#io, this.#tokens, this.#encoderHidden!)
    const out = await session.run(feeds, ['logits'])
    return out['logits']!
  }
}

/** The decoder session a no-past call runs on, and whether it outputs cross_attentions.N (onnx-community's `_timestamped` layout). */
export function hasCrossAttentions(sessions: DecoderSessions): boolean {
  const session = sessions.layout === 'merged' ? sessions.merged : sessions.decoder
  return session.outputNames.includes('cross_attentions.0')
}

/**
 * One call with no past over `tokens`, fetching the cross-attention weights of `layers`
 * ([1, heads, tokens, frames] each, as float32). Causal attention makes every row what the
 * incremental decode computed at that position, so word timing needs no change to decoding.
 */
export async function crossAttentionWeights(
  sessions: DecoderSessions,
  shape: DecoderShape,
  tokens: readonly number[],
  encoderHidden: Tensor,
  layers: readonly number[],
): Promise<Map<number, {data: Float32Array; dims: readonly number[]}>> {
  const io = new DecoderIo(shape, firstSession(sessions))
  const {session, feeds} = noPastCall(sessions, io, tokens, encoderHidden)
  const names = [...new Set(layers)].map((layer) => `cross_attentions.${layer}`)
  const out = await session.run(feeds, names)
  const weights = new Map<number, {data: Float32Array; dims: readonly number[]}>()
  for (const layer of new Set(layers)) {
    const tensor = out[`cross_attentions.${layer}`]!
    const data = tensor.data as Float32Array | Uint16Array
    weights.set(layer, {data: data instanceof Float32Array ? data : halfToFloat32(data, new Float32Array(data.length)), dims: tensor.dims})
  }
  return weights
}
