// Weights the trainer (models/trainer) wrote, served through the WeightFactory interface so the
// graphs are built exactly as for seeded random weights. The file is safetensors: fp16 tensors in
// PyTorch's layout, and only the token-embedding rows in use (their ids in `…embed_tokens.rows`).
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {fromHalf} from '../../src/engine/runtime/float16.js'
import type {ModelDims} from './presets.js'
import {WeightFactory} from './weights.js'

interface Entry {
  dtype: string
  shape: number[]
  data_offsets: [number, number]
}

interface Tensor {
  shape: number[]
  data: Float32Array | Int32Array
}

const here = path.dirname(fileURLToPath(import.meta.url))

/** models/trained/<file>, from the sources or from the compiled copy under dist/ (an absolute path as is). */
export function trainedWeightsPath(file: string): string {
  if (path.isAbsolute(file)) return file
  const candidates = [path.resolve(here, '..', 'trained', file), path.resolve(here, '..', '..', '..', 'models', 'trained', file)]
  const found = candidates.find((candidate) => existsSync(candidate))
  if (!found) throw new Error(`trained weights ${file} not found in ${candidates.join(' or ')}`)
  return found
}

/** A short content hash: part of cached model folder names, so new weights never reuse an old build. */
export function trainedWeightsTag(file: string): string {
  return createHash('sha256')
    .update(readFileSync(trainedWeightsPath(file)))
    .digest('hex')
    .slice(0, 12)
}

function readSafetensors(file: string): {tensors: Map<string, Tensor>; metadata: Record<string, string>} {
  const bytes = readFileSync(file)
  const headerLength = Number(bytes.readBigUInt64LE(0))
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>
  const base = 8 + headerLength
  const tensors = new Map<string, Tensor>()
  let metadata: Record<string, string> = {}
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = value as Record<string, string>
      continue
    }
    const entry = value as Entry
    const [start, end] = entry.data_offsets
    const raw = bytes.subarray(base + start, base + end)
    const count = entry.shape.reduce((a, b) => a * b, 1)
    if (entry.dtype === 'F16') {
      const data = new Float32Array(count)
      for (let i = 0; i < count; i++) data[i] = fromHalf(raw.readUInt16LE(2 * i))
      tensors.set(name, {shape: entry.shape, data})
    } else if (entry.dtype === 'I32') {
      const data = new Int32Array(count)
      for (let i = 0; i < count; i++) data[i] = raw.readInt32LE(4 * i)
      tensors.set(name, {shape: entry.shape, data})
    } else throw new Error(`${file}: tensor ${name} has unsupported dtype ${entry.dtype}`)
  }
  return {tensors, metadata}
}

export class TrainedWeights extends WeightFactory {
  readonly manifest: unknown
  readonly #file: string
  readonly #tensors: Map<string, Tensor>
  readonly #unused: Set<string>

  constructor(file: string) {
    super(0)
    this.#file = trainedWeightsPath(file)
    const {tensors, metadata} = readSafetensors(this.#file)
    this.#tensors = tensors
    this.#unused = new Set(tensors.keys())
    this.manifest = metadata.manifest === undefined ? undefined : (JSON.parse(metadata.manifest) as unknown)
  }

  #take(name: string, shape: number[]): Float32Array {
    const tensor = this.#tensors.get(name)
    if (!tensor) throw new Error(`${this.#file} has no tensor ${name}`)
    if (tensor.shape.join('x') !== shape.join('x'))
      throw new Error(`${this.#file}: ${name} is [${tensor.shape.join(', ')}], the preset wants [${shape.join(', ')}]`)
    if (!(tensor.data instanceof Float32Array)) throw new Error(`${this.#file}: ${name} is not a float tensor`)
    this.#unused.delete(name)
    return tensor.data
  }

  override normal(name: string): Float32Array {
    throw new Error(`${this.#file}: no random tensor ${name} in a trained model`)
  }

  /** Stored [out, in] (PyTorch); the graph wants [in, out]. */
  override linear(name: string, fanIn: number, fanOut: number): Float32Array {
    const torch = this.#take(name, [fanOut, fanIn])
    const out = new Float32Array(fanIn * fanOut)
    for (let o = 0; o < fanOut; o++) for (let i = 0; i < fanIn; i++) out[i * fanOut + o] = torch[o * fanIn + i]
    return out
  }

  override conv(name: string, out: number, inp: number, kernel: number): Float32Array {
    return this.#take(name, [out, inp, kernel])
  }

  /** The token embedding comes as its used rows plus their ids; every other row is zero. */
  override embedding(name: string, rows: number, dim: number): Float32Array {
    const ids = this.#tensors.get(name.replace(/\.weight$/, '.rows'))
    if (!ids) return this.#take(name, [rows, dim])
    if (!(ids.data instanceof Int32Array)) throw new Error(`${this.#file}: ${name} row ids are not int32`)
    this.#unused.delete(name.replace(/\.weight$/, '.rows'))
    const used = this.#take(name, [ids.data.length, dim])
    const table = new Float32Array(rows * dim)
    ids.data.forEach((id, r) => {
      if (id < 0 || id >= rows) throw new Error(`${this.#file}: ${name} row id ${id} outside [0, ${rows})`)
      table.set(used.subarray(r * dim, (r + 1) * dim), id * dim)
    })
    return table
  }

  override bias(name: string, size: number): Float32Array {
    return this.#take(name, [size])
  }

  override gamma(name: string, size: number): Float32Array {
    return this.#take(name, [size])
  }

  /** Throws when the trainer's dims (its manifest) are not the preset's: a clearer error than a tensor's shape. */
  assertDims(dims: ModelDims): void {
    const trained = (this.manifest as {dims?: Record<string, number>} | undefined)?.dims
    if (!trained) return
    const want: Record<string, number> = {
      d: dims.dModel,
      heads: dims.decoderHeads,
      enc_layers: dims.encoderLayers,
      dec_layers: dims.decoderLayers,
      ffn: dims.decoderFfn,
    }
    const wrong = Object.entries(want).filter(([key, value]) => trained[key] !== undefined && trained[key] !== value)
    if (wrong.length > 0)
      throw new Error(
        `${this.#file} was trained with ${wrong.map(([k]) => `${k} ${trained[k]}`).join(', ')}; the preset has ${wrong.map(([k, v]) => `${k} ${v}`).join(', ')}`,
      )
  }

  /** The decoder heads the trainer taught to follow the words (its --align), when it did. */
  get alignmentHeads(): Array<[number, number]> | undefined {
    const heads = (this.manifest as {alignmentHeads?: unknown} | undefined)?.alignmentHeads
    if (!Array.isArray(heads) || heads.length === 0) return undefined
    if (!heads.every((h) => Array.isArray(h) && h.length === 2 && h.every((x) => Number.isInteger(x))))
      throw new Error(`${this.#file}: alignmentHeads must be [layer, head] pairs, got ${JSON.stringify(heads)}`)
    return heads as Array<[number, number]>
  }

  /** Throws when the file holds tensors the graphs never asked for (a name or layout mismatch). */
  assertAllUsed(): void {
    if (this.#unused.size > 0) throw new Error(`${this.#file}: tensors never used: ${[...this.#unused].join(', ')}`)
  }
}
