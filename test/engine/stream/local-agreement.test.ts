import {describe, expect, it} from 'vitest'
import type {TimedWord} from '../../../src/engine/stream/asr-backend.js'
import {LocalAgreement, normalizeWord, trustedWords} from '../../../src/engine/stream/local-agreement.js'

const w = (text: string, start: number, end: number): TimedWord => ({text: ` ${text}`, start, end, tokens: [start]})
const texts = (words: readonly TimedWord[]): string[] => words.map((x) => x.text.trim())

describe('LocalAgreement', () => {
  it('commits the common prefix of two hypotheses once, keeps the rest tentative', () => {
    const la = new LocalAgreement({maxNgram: 5, slack: 5})
    expect(la.insert([w('hello', 0, 10), w('world', 10, 20)])).toEqual([])
    expect(texts(la.tentative)).toEqual(['hello', 'world'])
    expect(texts(la.insert([w('Hello,', 0, 10), w('word', 10, 20), w('again', 20, 30)]))).toEqual(['Hello,'])
    expect(la.committedEnd).toBe(10)
    expect(texts(la.tentative)).toEqual(['word', 'again'])
    // The same words again, re-transcribed with the committed one: nothing committed twice.
    expect(texts(la.insert([w('hello', 0, 10), w('word', 10, 20), w('again', 20, 30)]))).toEqual(['word', 'again'])
    expect(la.insert([w('hello', 0, 10), w('word', 10, 20), w('again', 20, 30)])).toEqual([])
    expect(texts(la.flush())).toEqual([])
  })

  it('drops a re-transcribed boundary n-gram whose timestamps moved', () => {
    const la = new LocalAgreement({maxNgram: 5, slack: 5})
    la.insert([w('good', 0, 10), w('morning', 10, 20)])
    la.insert([w('good', 0, 10), w('morning', 10, 20)])
    expect(la.committedEnd).toBe(20)
    // "morning" restamped 15-30 (midpoint after the committed end) but starts before it: a duplicate.
    expect(la.insert([w('morning', 15, 30), w('all', 30, 40)])).toEqual([])
    expect(texts(la.tentative)).toEqual(['all'])
    // The rest of a word whose end was committed early, heard again just after it: a duplicate.
    const lb = new LocalAgreement({maxNgram: 5, slack: 5})
    lb.insert([w('horse', 0, 10)])
    lb.insert([w('horse', 0, 10)])
    lb.insert([w('horse', 11, 20)])
    expect(texts(lb.tentative)).toEqual([])
    // A repetition starting beyond the slack stays, and none is dropped without slack.
    lb.insert([w('horse', 16, 26)])
    expect(texts(lb.tentative)).toEqual(['horse'])
    // The price: said twice within the slack across a commit, a word is kept once.
    const ld = new LocalAgreement({maxNgram: 5, slack: 5})
    ld.insert([w('again', 0, 10)])
    expect(texts(ld.insert([w('again', 0, 10), w('again', 11, 20)]))).toEqual(['again'])
    expect(texts(ld.insert([w('again', 11, 20), w('now', 21, 30)]))).toEqual([])
    const lc = new LocalAgreement({maxNgram: 5, slack: 0})
    lc.insert([w('very', 0, 10)])
    lc.insert([w('very', 0, 10)])
    lc.insert([w('very', 10, 20)])
    expect(texts(lc.tentative)).toEqual(['very'])
  })

  it('force-commits up to a limit and flushes the tail', () => {
    const la = new LocalAgreement({maxNgram: 5, slack: 5})
    la.insert([w('a', 0, 10), w('b', 10, 20), w('c', 20, 30)])
    expect(texts(la.forceCommit(20))).toEqual(['a', 'b'])
    expect(texts(la.flush())).toEqual(['c'])
    expect(la.committedEnd).toBe(30)
  })

  it('normalizes case, punctuation and width', () => {
    expect(normalizeWord(' Hello,')).toBe(normalizeWord('hello'))
    expect(normalizeWord("Don't")).toBe(normalizeWord(' dont'))
    expect(normalizeWord(' ?')).toBe('?')
  })

  it('trusts no repetition loop and no clipped last word of a truncated hypothesis', () => {
    const words = [w('one', 0, 1), w('two', 1, 2), w('three', 2, 3), w('la', 3, 4), w('la', 4, 5), w('la', 5, 6)]
    expect(texts(trustedWords({words, segmentEnds: [], truncated: true}))).toEqual(['one', 'two'])
    const phrase = [w('one', 0, 1), w('go', 1, 2), w('on', 2, 3), w('go', 3, 4), w('on', 4, 5)]
    expect(texts(trustedWords({words: phrase, segmentEnds: [], truncated: true}))).toEqual([])
    expect(texts(trustedWords({words: words.slice(0, 3), segmentEnds: [], truncated: true}))).toEqual(['one', 'two'])
    expect(texts(trustedWords({words, segmentEnds: [], truncated: false}))).toHaveLength(6)
  })
})
