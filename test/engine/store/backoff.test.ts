import {describe, expect, it} from 'vitest'
import {backoffDelay} from '../../../src/engine/store/backoff.js'

describe('backoffDelay', () => {
  const backoff = {baseMs: 500, maxMs: 8000}

  it('doubles its ceiling each attempt up to the cap', () => {
    const almostOne = () => 0.999_999
    expect([0, 1, 2, 3, 4, 5, 9].map((attempt) => backoffDelay(attempt, backoff, almostOne))).toEqual([
      499, 999, 1999, 3999, 7999, 7999, 7999,
    ])
  })

  it('draws the wait uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelay(2, backoff, () => 0)).toBe(0)
    expect(backoffDelay(2, backoff, () => 0.5)).toBe(1000)
  })
})
