// The variants scenario and --dtype at a tiny size on the mini model's variants: structure, not speed.
import {describe, expect, it} from 'vitest'
import {runBench} from '../../bench/run.js'
import {renderReport} from '../../bench/table.js'
import {testModel} from '../helpers/test-models.js'

describe('bench variants', () => {
  it('measures each variant in a process of its own, fp32 first, agreement with fp32 in %', async () => {
    const report = await runBench({
      model: await testModel('mini-variants'),
      scenarios: ['variants'],
      threads: 1,
      minutes: 1 / 60,
      variants: {variants: ['q8', 'encoder=fp32,decoder=q4'], lengths: [4], reps: 1, streamSeconds: 2, windows: 1},
    })
    const rows = report.variants!.rows
    expect(rows.map((r) => r.dtype)).toEqual(['fp32', 'q8', 'encoder=fp32,decoder=q4'])
    expect(rows[0]!.agreement).toBe(100)
    for (const row of rows) {
      expect(row.loadMs).toBeGreaterThan(0)
      expect(row.rssMB).toBeGreaterThan(0)
      expect(row.encoderMs).toBeGreaterThanOrEqual(0)
      expect(row.msPerToken['4']).toBeGreaterThan(0)
      expect(row.agreement).toBeGreaterThanOrEqual(0)
      expect(row.agreement).toBeLessThanOrEqual(100)
    }
    expect(renderReport(report)).toMatch(/## variants[\s\S]*encoder=fp32,decoder=q4/)
  })

  it('--dtype runs decode on that variant and says so', async () => {
    const report = await runBench({
      model: await testModel('mini-variants'),
      scenarios: ['decode'],
      threads: 1,
      minutes: 1 / 60,
      dtype: 'encoder=fp16,decoder=q4',
      decode: {lengths: [4], reps: 1, encoderReps: 1, windowReps: 0},
    })
    expect(report.model.dtype).toBe('encoder=fp16,decoder=q4')
    expect(report.decode!.rows[0]!.cachedMsPerToken).toBeGreaterThan(0)
  })
})
