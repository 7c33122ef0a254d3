// Scenario whispercpp at a tiny size on the mini model and its whisper.cpp file: structure and
// agreement, never speed.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {baseClip} from '../../bench/audio.js'
import {runBench} from '../../bench/run.js'
import {whisperCppTable} from '../../bench/table.js'
import {runWhisperCpp, type WhisperCppResult} from '../../bench/whispercpp.js'
import {ggmlWhisperModel} from '../../models/generator/ggml-whisper.js'
import {PRESETS} from '../../models/generator/presets.js'
import {specialTokens} from '../../models/generator/special-tokens.js'
import {WeightFactory} from '../../models/generator/weights.js'
import {WhisperModel} from '../../src/engine/model/whisper-model.js'
import {testModel} from '../helpers/test-models.js'

let work: string
let result: WhisperCppResult

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'whispercpp-test-'))
  const file = path.join(work, 'ggml-model.bin')
  // The mini test model's weights; a final LayerNorm gain of 50 leaves greedy tokens as they are.
  const bytes = ggmlWhisperModel({
    dims: PRESETS.mini,
    melBins: 80,
    special: specialTokens(false, 99),
    weights: new WeightFactory(1),
    ftype: 'f16',
    logitGain: 50,
  })
  writeFileSync(file, bytes)
  const model = await WhisperModel.load(await testModel('mini'), {threads: 1})
  try {
    const clip = await baseClip()
    result = await runWhisperCpp(
      model,
      clip.pcm,
      {ggml: {f16: file}, threads: 1, fileSeconds: 3, liveSteps: 2, liveWindowSeconds: 4, reps: 1},
      {
        begin() {},
        update() {},
        end() {},
        note() {},
      },
    )
  } finally {
    await model.release()
  }
}, 300_000)

afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('bench scenario whispercpp', () => {
  it('measures ours and whisper.cpp on the same weights: window, per token, file, live step, agreement', () => {
    expect(result.available).toBe(true)
    expect(result.rows.map((r) => r.label)).toEqual([expect.stringMatching(/^ours/), 'whisper.cpp f16'])
    for (const row of result.rows) {
      expect(row.windowMs).not.toBeNull()
      expect(row.msPerToken).not.toBeNull()
      expect(row.msPerTokenFastest).not.toBeNull()
      expect(row.fileRtf).toBeGreaterThan(0)
      expect(row.liveStepMs).toBeGreaterThan(0)
      expect(row.liveStepAltMs).toBeGreaterThan(0)
    }
    expect(result.rows[0]!.agreement).toBe('reference')
    expect(result.rows[1]!.agreement).toMatch(/^(all|first \d+ of) 31 tokens$/)
    expect(result.liveAudioCtx).toBe(200)
    const text = whisperCppTable({model: 'mini', ...result})
    expect(text).toContain('## whispercpp')
    expect(text).toContain('whisper.cpp f16')
  })

  it('says why when the model folder holds no whisper.cpp file', async () => {
    const report = await runBench({model: await testModel('mini'), scenarios: ['whispercpp'], threads: 1, minutes: 0.05})
    expect(report.whispercpp!.available).toBe(false)
    expect(report.whispercpp!.reason).toMatch(/make-model --ggml/)
  }, 120_000)
})
