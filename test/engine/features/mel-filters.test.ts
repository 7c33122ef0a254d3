import {describe, expect, it} from 'vitest'

import {melFilterBank, melFiltersFor, toSparse} from '../../../src/engine/features/mel-filters.js'
import {parsePreprocessorConfig} from '../../../src/engine/features/preprocessor-config.js'
import {maxAbsDiff, referenceExtractor, whisperConfig, whisperConfigJson} from './reference.js'

describe('mel filterbank', () => {
  for (const bins of [80, 128] as const) {
    it(`matches transformers.js mel_filter_bank (slaney, slaney) for ${bins} bins`, () => {
      // WhisperFeatureExtractor fills config.mel_filters with mel_filter_bank(201, bins, 0, 8000, 16000, 'slaney', 'slaney').
      const want = referenceExtractor(bins).config.mel_filters
      const got = melFiltersFor(whisperConfig(bins))
      expect(got).toHaveLength(bins)
      expect(want).toHaveLength(bins)
      let worst = 0
      for (let m = 0; m < bins; m++) worst = Math.max(worst, maxAbsDiff(got[m], want[m]))
      expect(worst).toBeLessThanOrEqual(1e-12)
    })
  }

  it('has no empty filter and each filter is one contiguous triangle', () => {
    for (const bins of [80, 128]) {
      const rows = melFilterBank(201, bins, 0, 8000, 16000)
      const sparse = toSparse(rows)
      for (let m = 0; m < bins; m++) {
        expect(sparse.length[m]).toBeGreaterThan(0)
        for (let k = 0; k < 201; k++) {
          const inside = k >= sparse.start[m] && k < sparse.start[m] + sparse.length[m]
          if (!inside) expect(rows[m][k]).toBe(0)
          else expect(sparse.weights[sparse.offset[m] + k - sparse.start[m]]).toBe(rows[m][k])
        }
      }
      // Sparse: far fewer weights than the dense matrix.
      expect(sparse.weights.length).toBeLessThan(201 * 4)
    }
  })

  it('uses the filters a config file ships instead of computing them', () => {
    const shipped = Array.from({length: 201}, (_, k) => Array.from({length: 80}, (_, m) => (k === m ? 1 : 0)))
    const config = parsePreprocessorConfig({...whisperConfigJson(80), mel_filters: shipped}, 'x.json')
    const rows = melFiltersFor(config)
    expect(rows[5][5]).toBe(1)
    expect(rows[5][6]).toBe(0)
  })
})
