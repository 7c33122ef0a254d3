import {Flags} from '@oclif/core'
import {DEFAULT_MODEL, DTYPES} from '../engine/store/registry.js'
import {WhisperModel, type LoadOptions} from '../engine/model/whisper-model.js'
import {resolveModelInfo} from '../engine/store/resolve-model.js'
import {timed} from '../engine/timings.js'
import {stderrProgress} from '../ui/progress-bar.js'

export const modelFlags = {
  model: Flags.string({
    char: 'm',
    summary: `Model: a known name (${DEFAULT_MODEL}, base, small.en, …), a Hugging Face repo id, or a local directory.`,
    default: DEFAULT_MODEL,
    env: 'WHISPER_STREAM_MODEL',
  }),
  dtype: Flags.string({
    summary: `Weight variant: ${DTYPES.join(', ')}; or per part, encoder=DTYPE,decoder=DTYPE (default: the model's own choice).`,
    helpValue: 'DTYPE|encoder=DTYPE,decoder=DTYPE',
  }),
  threads: Flags.integer({summary: 'CPU threads for inference (0: onnxruntime decides).', default: 0, min: 0}),
}

export const decodingFlags = {
  language: Flags.string({char: 'l', summary: 'Spoken language code (en, de, …) for multilingual models; detected when omitted.'}),
  task: Flags.string({
    summary: 'transcribe, or translate into English (multilingual models).',
    options: ['transcribe', 'translate'],
    default: 'transcribe',
  }),
}

export interface ModelFlagValues {
  model: string
  dtype?: string | undefined
  threads: number
}

/** Finds (or downloads, with a progress bar on stderr) and loads the model the flags name. */
export async function loadModelFromFlags(
  flags: ModelFlagValues,
  signal?: AbortSignal,
  extra: Pick<LoadOptions, 'encoderBatch'> = {},
): Promise<WhisperModel> {
  const info = await timed('model resolve', () => resolveModelInfo(flags.model, {dtype: flags.dtype, signal, onProgress: stderrProgress()}))
  return timed('model load', () =>
    WhisperModel.load(info.dir, {...extra, dtype: info.dtype ?? 'fp32', threads: flags.threads || undefined}),
  )
}
