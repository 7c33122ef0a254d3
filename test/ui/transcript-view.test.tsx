import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {clock, TranscriptView} from '../../src/ui/transcript-view.js'

const line = (id: number, text: string, start: number) => ({id, text, start, end: start + 1})

describe('TranscriptView', () => {
  it('shows committed lines with their time, and the partial tail below them', () => {
    const view = render(<TranscriptView finals={[line(0, 'hello there', 0.4), line(1, 'second line', 65)]} partial="and then" color />)
    const frame = view.lastFrame()!
    expect(frame).toContain('[0:00] hello there')
    expect(frame).toContain('[1:05] second line')
    const lines = frame.split('\n')
    expect(lines.findIndex((l) => l.includes('and then'))).toBeGreaterThan(lines.findIndex((l) => l.includes('second line')))
    view.unmount()
  })

  it('writes each committed line once (Static) while the partial is replaced', () => {
    const finals = [line(0, 'first', 0)]
    const view = render(<TranscriptView finals={finals} partial="tentative one" color />)
    view.rerender(<TranscriptView finals={[...finals, line(1, 'second', 2)]} partial="tentative two" color />)
    const frame = view.lastFrame()!
    expect(frame.match(/first/g)).toHaveLength(1)
    expect(frame).toContain('second')
    expect(frame).toContain('tentative two')
    expect(frame).not.toContain('tentative one')
    view.unmount()
  })

  it('marks the partial with an ellipsis when colour is off', () => {
    const view = render(<TranscriptView finals={[]} partial="maybe" color={false} />)
    expect(view.lastFrame()).toContain('… maybe')
    view.unmount()
  })

  it('wraps long lines to the width', () => {
    const text = 'word '.repeat(20).trim()
    const view = render(<TranscriptView finals={[line(0, text, 0)]} partial="" width={30} color />)
    const lines = view
      .lastFrame()!
      .split('\n')
      .filter((l) => l.trim() !== '')
    expect(lines.length).toBeGreaterThan(3)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(30)
    view.unmount()
  })

  it('clock() writes m:ss', () => {
    expect(clock(0)).toBe('0:00')
    expect(clock(59.9)).toBe('0:59')
    expect(clock(3725)).toBe('62:05')
  })
})
