// The only module that imports onnxruntime-node: the rest of the engine sees these types.
import {readFile} from 'node:fs/promises'
import ort from 'onnxruntime-node'
import {WhisperStreamError} from '../errors.js'
import {int8LogitsModel} from './int8-logits.js'

export type Tensor = ort.Tensor
export type Session = ort.InferenceSession
export type Feeds = Record<string, ort.Tensor>
export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool'

export const Tensor = ort.Tensor

export interface SessionOptions {
  threads?: number
  /**
   * Let idle worker threads spin waiting for the next run. Good for a session called in a tight
   * loop (the decoder); a session that runs once and hands over to another (the encoder) would
   * keep the cores busy spinning while the next one works.
   */
  spin?: boolean
  /**
   * Let constant folding dequantize 8-bit initializers once at load. onnxruntime keeps every
   * DequantizeLinear for its QDQ fusions, and the 8-bit Whisper decoders dequantize the whole tied
   * embedding (vocabulary × d_model) on every call for the logits projection: a third to a half of a
   * token at tiny's size. Folded, the projection reads float weights (the same values) and the layers stay 8-bit.
   */
  foldDequantize?: boolean
  /**
   * Rewrite the tied logits projection of an 8-bit decoder to read its 8-bit embedding (int8-logits.ts):
   * a quarter of the bytes a token reads, with activations rounded to int8. A graph without that
   * projection loads unchanged.
   */
  int8Logits?: boolean
}

export async function createSession(path: string, options: SessionOptions = {}): Promise<Session> {
  try {
    const rewritten = options.int8Logits ? await int8LogitsModel(await readFile(path)) : undefined
    const settings: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      extra: {
        session: {
          ...(options.spin === false ? {intra_op: {allow_spinning: '0'}} : {}),
          ...(options.foldDequantize ? {disable_quant_qdq: '1'} : {}),
        },
      },
    }
    return await (rewritten ? ort.InferenceSession.create(rewritten, settings) : ort.InferenceSession.create(path, settings))
  } catch (error) {
    throw new WhisperStreamError('model-corrupt', `cannot load ${path}: ${firstLine(error)}`, {
      hint: 'the file is truncated or not an ONNX model; delete it and pull the model again',
      cause: error,
    })
  }
}

export const onnxRuntimeVersion = (): string => ort.env.versions.common ?? 'unknown'

const firstLine = (error: unknown): string => String(error instanceof Error ? error.message : error).split('\n')[0]!

/** The element type a session expects for one input (float16 models take Uint16Array bits). */
export function inputType(session: Session, name: string): TensorType {
  const meta = session.inputMetadata.find((m) => m.name === name)
  return meta && meta.isTensor && meta.type === 'float16' ? 'float16' : 'float32'
}
