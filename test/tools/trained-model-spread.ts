// How far the trained-model test's figures move when the clip changes below audibility: the clip plus
// seeded uniform noise (peak --amp, default 1e-3), one JSON line per copy, then the worst of each. Another
// CPU's float rounding moves them as far (this model's loops turn near-ties into words), so the pins in
// test/engine/trained-model.test.ts are these worsts plus a word or two.
//
//   node --import tsx test/tools/trained-model-spread.ts [--copies 23] [--amp 1e-3]
import {parseArgs} from 'node:util'
import {commitRepeats, fileEvents, fileWords, streamWords} from '../../bench/quality.js'
import {seededRandom, syntheticSpeech} from '../../bench/synthetic-speech.js'
import {normalizeWords, wordErrors, type WordErrors} from '../../bench/word-errors.js'
import {Engine} from '../../src/engine/engine.js'
import {testModel} from '../helpers/test-models.js'

const GREEDY = {temperatures: [0]}
const SAMPLE_RATE = 16_000

interface Spread {
  copy: number
  fileWer: number
  streamWer: number
  streamVsFile: number
  commitRepeats: number
  vadFilterWer: number
  q8Wer: number
  int8VsFloat: number
}

const edits = (e: WordErrors): number => e.substitutions + e.deletions + e.insertions

const {values} = parseArgs({options: {copies: {type: 'string', default: '23'}, amp: {type: 'string', default: '1e-3'}}})
const copies = Number(values.copies)
const amp = Number(values.amp)
const speech = await syntheticSpeech({seconds: 40, seed: 7, longPauses: true})
const reference = speech.words.map((w) => w.word)
const engine = await Engine.load(await testModel('trained-mini'), {threads: 1})
const q8 = await Promise.all(
  [true, false].map(async (int8Logits) =>
    Engine.load(await testModel('trained-mini-q8'), {threads: 1, dtype: {encoder: 'fp32', decoder: 'q8'}, int8Logits}),
  ),
)
const rows: Spread[] = []
try {
  for (let copy = 0; copy <= copies; copy++) {
    const pcm = Float32Array.from(speech.pcm)
    const rand = seededRandom(1000 + copy)
    if (copy > 0) for (let i = 0; i < pcm.length; i++) pcm[i] += amp * (rand() * 2 - 1)
    const offline = await fileWords(engine, pcm, GREEDY)
    const stream = await streamWords(engine, pcm, false, true, GREEDY)
    const finals = stream.finals.map((f) => f.word)
    const led = new Float32Array(40 * SAMPLE_RATE + pcm.length)
    led.set(pcm, 40 * SAMPLE_RATE)
    const filtered = (await fileEvents(engine, led, GREEDY, true)).flatMap((event) => normalizeWords(event.text))
    const [int8, float] = await Promise.all(q8.map((e) => fileWords(e, pcm, GREEDY)))
    const row: Spread = {
      copy,
      fileWer: wordErrors(reference, offline).wer,
      streamWer: wordErrors(reference, finals).wer,
      streamVsFile: edits(wordErrors(offline, finals)),
      commitRepeats: commitRepeats(stream.finals),
      vadFilterWer: wordErrors(reference, filtered).wer,
      q8Wer: wordErrors(reference, int8!).wer,
      int8VsFloat: edits(wordErrors(float!, int8!)),
    }
    rows.push(row)
    console.log(JSON.stringify(row))
  }
} finally {
  await Promise.all([engine, ...q8].map((e) => e.release()))
}
const worst = Object.fromEntries(
  (Object.keys(rows[0]!) as Array<keyof Spread>).filter((k) => k !== 'copy').map((k) => [k, Math.max(...rows.map((r) => r[k]))]),
)
console.log(JSON.stringify({worst}))
