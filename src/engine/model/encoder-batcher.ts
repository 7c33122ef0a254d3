import {Tensor} from '../runtime/onnx.js'

interface Waiting {
  features: Tensor
  resolve: (hidden: Tensor) => void
  reject: (error: unknown) => void
}

/**
 * Encoder passes of several streams as one batch. A call made while a pass runs waits for it and goes
 * in the next pass with every other call that arrived meanwhile (up to `maxBatch` windows), so nothing
 * is ever held back to fill a batch: a lone stream runs at batch 1 as before. The exports take a batch
 * dimension and compute each window independently of the others in it.
 */
export class EncoderBatcher {
  readonly #waiting: Waiting[] = []
  #running = false
  /** Passes run and windows encoded (a window per call): their ratio is the mean batch. */
  passes = 0
  windows = 0

  constructor(
    private readonly run: (features: Tensor) => Promise<Tensor>,
    readonly maxBatch: number,
  ) {}

  encode(features: Tensor): Promise<Tensor> {
    return new Promise<Tensor>((resolve, reject) => {
      this.#waiting.push({features, resolve, reject})
      // #drain settles every call it takes; a failure outside a pass would reach this one.
      if (!this.#running) this.#drain().catch(reject)
    })
  }

  async #drain(): Promise<void> {
    this.#running = true
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.maxBatch)
        this.passes++
        this.windows += batch.length
        try {
          const hidden = await this.run(batch.length === 1 ? batch[0]!.features : stack(batch.map((w) => w.features)))
          const parts = batch.length === 1 ? [hidden] : unstack(hidden, batch.length)
          batch.forEach((w, i) => w.resolve(parts[i]!))
        } catch (error) {
          for (const w of batch) w.reject(error)
        }
      }
    } finally {
      this.#running = false
    }
  }
}

type Data = Float32Array | Uint16Array

// A batched pass copies its windows in and its outputs out (a few MB a window, once per pass, never per
// token); a lone window goes through uncopied, so the default batch of 1 costs nothing.

/** [1, ...rest] tensors of one type as one [n, ...rest] tensor. */
function stack(tensors: Tensor[]): Tensor {
  const first = tensors[0]!
  const size = first.size
  const out: Data = first.type === 'float16' ? new Uint16Array(size * tensors.length) : new Float32Array(size * tensors.length)
  tensors.forEach((t, i) => out.set(t.data as Data, i * size))
  return new Tensor(first.type, out, [tensors.length, ...first.dims.slice(1)])
}

/** An [n, ...rest] tensor as n [1, ...rest] tensors, each with its own copy of its rows. */
function unstack(batched: Tensor, n: number): Tensor[] {
  const size = batched.size / n
  const data = batched.data as Data
  return Array.from({length: n}, (_, i) => new Tensor(batched.type, data.slice(i * size, (i + 1) * size), [1, ...batched.dims.slice(1)]))
}
