import {describe, expect, it} from 'vitest'
import {commitRepeats, type StreamRun} from '../../bench/quality.js'

const finals = (...groups: string[][]): StreamRun['finals'] =>
  groups.flatMap((words, final) => words.map((word) => ({word, emitted: final, final})))

describe('commitRepeats', () => {
  it('counts a final that opens on the word the previous one closed with, not a repeat inside one final', () => {
    expect(commitRepeats(finals(['one', 'horse'], ['horse', 'two']))).toBe(1)
    expect(commitRepeats(finals(['one', 'horse', 'horse'], ['two']))).toBe(0)
    expect(commitRepeats(finals(['one'], ['two'], ['one']))).toBe(0)
  })

  it('with the reference, leaves out repeats the speech has', () => {
    const run = finals(['big', 'big'], ['big', 'two'])
    expect(commitRepeats(run)).toBe(1)
    expect(commitRepeats(run, ['big', 'big', 'big', 'two'])).toBe(0)
    expect(commitRepeats(run, ['big', 'big', 'two'])).toBe(1)
  })
})
