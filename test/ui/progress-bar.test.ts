import {describe, expect, it} from 'vitest'
import {ProgressBar, formatBytes, formatDuration} from '../../src/ui/progress-bar.js'

const sink = (isTTY: boolean) => {
  const chunks: string[] = []
  return {chunks, stream: {isTTY, columns: 100, write: (chunk: string) => chunks.push(chunk)}}
}

describe('progress bar', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1_500_000)).toBe('1.50 MB')
    expect(formatBytes(151_000_000)).toBe('151 MB')
    expect(formatDuration(65)).toBe('01:05')
    expect(formatDuration(3725)).toBe('1:02:05')
    expect(formatDuration(Number.NaN)).toBe('--:--')
  })

  it('redraws one line with \\r on a TTY: size, speed, ETA', () => {
    let now = 0
    const {chunks, stream} = sink(true)
    const bar = new ProgressBar(stream, {now: () => now, interval: 100})
    bar.update({type: 'start', file: 'onnx/encoder_model.onnx', total: 10_000_000, resumedFrom: 0})
    now = 1000
    bar.update({type: 'progress', file: 'onnx/encoder_model.onnx', bytes: 2_000_000, total: 10_000_000})
    now = 1010 // within the redraw interval: no redraw
    bar.update({type: 'progress', file: 'onnx/encoder_model.onnx', bytes: 2_100_000, total: 10_000_000})
    expect(chunks).toHaveLength(2)
    expect(chunks[1]).toMatch(/^\ronnx\/encoder_model.onnx \[#+-+\] {2}20% 2.00 MB\/10.0 MB 2.00 MB\/s ETA 00:04/)
    now = 5000
    bar.update({type: 'done', file: 'onnx/encoder_model.onnx', total: 10_000_000, cached: false})
    expect(chunks.at(-1)).toBe('\n')
    expect(chunks.at(-2)).toMatch(/100%/)
  })

  it('writes one plain line per file elsewhere', () => {
    let now = 0
    const {chunks, stream} = sink(false)
    const bar = new ProgressBar(stream, {now: () => now})
    bar.update({type: 'done', file: 'config.json', total: 1200, cached: true})
    bar.update({type: 'start', file: 'tokenizer.json', total: 2_000_000, resumedFrom: 0})
    for (let i = 1; i <= 10; i++) bar.update({type: 'progress', file: 'tokenizer.json', bytes: i * 200_000, total: 2_000_000})
    now = 2000
    bar.update({type: 'done', file: 'tokenizer.json', total: 2_000_000, cached: false})
    expect(chunks).toEqual(['config.json  1.20 kB  already downloaded\n', 'tokenizer.json  2.00 MB  in 2.0 s  (1.00 MB/s)\n'])
    expect(chunks.join('')).not.toContain('\r')
  })
})
