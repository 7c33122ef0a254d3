import {afterAll, describe, expect, it} from 'vitest'
import {WindowTranscriber} from '../../../src/engine/decode/window-transcriber.js'
import {EncoderBatcher} from '../../../src/engine/model/encoder-batcher.js'
import {WhisperModel} from '../../../src/engine/model/whisper-model.js'
import {Tensor} from '../../../src/engine/runtime/onnx.js'
import {readPcm, speech} from '../../helpers/audio-fixtures.js'
import {testModel} from '../../helpers/test-models.js'

/** A scripted encoder: doubles its input, records each pass's batch, and finishes when told to. */
function scriptedEncoder(): {run: (t: Tensor) => Promise<Tensor>; batches: number[]; finish: () => void; failNext: () => void} {
  const batches: number[] = []
  const pending: Array<() => void> = []
  let fail = false
  return {
    batches,
    finish: () => pending.shift()?.(),
    failNext: () => void (fail = true),
    run: (t) => {
      batches.push(t.dims[0]!)
      const failing = fail
      fail = false
      return new Promise((resolve, reject) =>
        pending.push(() =>
          failing
            ? reject(new Error('encoder failed'))
            : resolve(
                new Tensor(
                  'float32',
                  (t.data as Float32Array).map((v) => v * 2),
                  t.dims,
                ),
              ),
        ),
      )
    },
  }
}

const window = (value: number): Tensor => new Tensor('float32', new Float32Array(6).fill(value), [1, 2, 3])

/** Lets the batcher reach its next pass (its loop continues on a resolved promise). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('EncoderBatcher', () => {
  it('runs a lone window at once, and batches the windows that arrive while a pass runs', async () => {
    const encoder = scriptedEncoder()
    const batcher = new EncoderBatcher(encoder.run, 4)
    const first = batcher.encode(window(1))
    expect(encoder.batches).toEqual([1])
    const later = [2, 3, 4].map((v) => batcher.encode(window(v)))
    expect(encoder.batches).toEqual([1])
    encoder.finish()
    expect(Array.from((await first).data as Float32Array)).toEqual(new Array(6).fill(2))
    await settle()
    expect(encoder.batches).toEqual([1, 3])
    encoder.finish()
    const outputs = await Promise.all(later)
    outputs.forEach((t, i) => {
      expect(t.dims).toEqual([1, 2, 3])
      expect(Array.from(t.data as Float32Array)).toEqual(new Array(6).fill(2 * (i + 2)))
    })
    expect({passes: batcher.passes, windows: batcher.windows}).toEqual({passes: 2, windows: 4})
  })

  it('never puts more than maxBatch windows in a pass', async () => {
    const encoder = scriptedEncoder()
    const batcher = new EncoderBatcher(encoder.run, 2)
    const all = [0, 1, 2, 3, 4, 5].map((v) => batcher.encode(window(v)))
    for (let i = 0; i < 4; i++) {
      encoder.finish()
      await settle()
    }
    await Promise.all(all)
    expect(encoder.batches).toEqual([1, 2, 2, 1])
  })

  it('rejects the windows of a failed pass only', async () => {
    const encoder = scriptedEncoder()
    const batcher = new EncoderBatcher(encoder.run, 4)
    const first = batcher.encode(window(1))
    encoder.failNext()
    const failing = [batcher.encode(window(2)), batcher.encode(window(3))]
    encoder.finish()
    await first
    await settle()
    const after = batcher.encode(window(4))
    encoder.finish()
    await expect(Promise.all(failing)).rejects.toThrow('encoder failed')
    await settle()
    encoder.finish()
    expect(Array.from((await after).data as Float32Array)[0]).toBe(8)
  })
})

describe('batched encoder passes on a generated model', () => {
  const models: WhisperModel[] = []
  afterAll(async () => {
    for (const m of models) await m.release()
  })

  it('leave every stream its unbatched tokens', async () => {
    const dir = await testModel('mini')
    const [single, batched] = await Promise.all([
      WhisperModel.load(dir, {threads: 1}),
      WhisperModel.load(dir, {threads: 1, encoderBatch: 4}),
    ])
    models.push(single!, batched!)
    const texts = ['The quick brown fox jumps over the lazy dog.', 'Streaming speech to text.', 'One two three four five.', 'Hello world.']
    const audios = await Promise.all(texts.map(async (t) => readPcm(await speech(t))))
    const options = {temperatures: [0], timestamps: true}
    const tokensOf = async (model: WhisperModel, audio: Float32Array): Promise<number[]> =>
      (await new WindowTranscriber(model, options).transcribe(audio, audio.length, [], {maxNewTokens: 24})).tokens
    const expected: number[][] = []
    for (const audio of audios) expected.push(await tokensOf(single!, audio))
    const together = await Promise.all(audios.map((audio) => tokensOf(batched!, audio)))
    expect(together).toEqual(expected)
    const {passes, windows} = batched!.encoderBatches!
    expect(windows).toBeGreaterThanOrEqual(4)
    expect(passes).toBeLessThan(windows) // at least one pass held several windows
  })
})
