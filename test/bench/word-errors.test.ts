import {describe, expect, it} from 'vitest'
import {alignWords, normalizeWords, wordErrors} from '../../bench/word-errors.js'

describe('word errors', () => {
  it('normalises case and punctuation away', () => {
    expect(normalizeWords(' Red, green... BLUE!  ')).toEqual(['red', 'green', 'blue'])
  })

  it('counts substitutions, deletions and insertions against the reference', () => {
    const ref = ['one', 'two', 'three', 'four']
    expect(wordErrors(ref, ref)).toMatchObject({wer: 0, substitutions: 0, deletions: 0, insertions: 0})
    expect(wordErrors(ref, ['one', 'six', 'three'])).toMatchObject({substitutions: 1, deletions: 1, insertions: 0, wer: 50})
    expect(wordErrors(ref, ['zero', ...ref])).toMatchObject({insertions: 1, wer: 25, doubled: 0})
  })

  it('tells a word emitted twice from other insertions', () => {
    const e = wordErrors(['red', 'green', 'blue'], ['red', 'green', 'green', 'blue'])
    expect(e).toMatchObject({insertions: 1, doubled: 1, wer: 33.33})
  })

  it('aligns every reference and hypothesis word exactly once, in order', () => {
    const ref = ['a', 'b', 'c', 'd', 'e']
    const hyp = ['a', 'x', 'c', 'e', 'f']
    const ops = alignWords(ref, hyp)
    expect(ops.flatMap((o) => ('ref' in o ? [o.ref] : []))).toEqual([0, 1, 2, 3, 4])
    expect(ops.flatMap((o) => ('hyp' in o ? [o.hyp] : []))).toEqual([0, 1, 2, 3, 4])
    expect(ops.filter((o) => o.op === 'match').length).toBe(3)
  })

  it('scores an empty reference: nothing said is 0 %, any word is 100 %', () => {
    expect(wordErrors([], []).wer).toBe(0)
    expect(wordErrors([], ['dog']).wer).toBe(100)
  })
})
