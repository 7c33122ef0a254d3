import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {initialMicState, type MicState} from '../../src/ui/mic-store.js'
import {levelMeter, StatusLine} from '../../src/ui/status-line.js'

const listening = (patch: Partial<MicState> = {}): MicState => ({
  ...initialMicState(),
  phase: 'listening',
  elapsed: 83.2,
  level: 0.1,
  speaking: true,
  stepMs: 182.4,
  rtf: 0.183,
  ...patch,
})

const frame = (state: MicState, columns = 120, keys = true): string => {
  const view = render(<StatusLine state={state} model="tiny.en" columns={columns} width={columns} keys={keys} />)
  const out = view.lastFrame()!
  view.unmount()
  return out
}

describe('StatusLine', () => {
  it('shows elapsed time, level, voice activity, step latency, RTF, model and keys', () => {
    const out = frame(listening())
    expect(out).toContain('● REC')
    expect(out).toContain('1:23')
    expect(out).toContain(levelMeter(0.1))
    expect(out).toContain('speaking')
    expect(out).toContain('step 182 ms')
    expect(out).toContain('rtf 0.18')
    expect(out).toContain('tiny.en')
    expect(out).toContain('p pause · q quit')
  })

  it('says silent when the VAD hears none, and before its first verdict', () => {
    expect(frame(listening({speaking: false}))).toContain('silent')
    expect(frame(listening({speaking: undefined, stepMs: undefined, rtf: undefined}))).toContain('silent')
  })

  it('says when paused that audio is dropped, and offers resume', () => {
    const out = frame(listening({paused: true}))
    expect(out).toContain('PAUSED: audio is dropped')
    expect(out).toContain('p resume')
    expect(out).not.toContain('speaking')
  })

  it('shows stopping and stopped without key hints', () => {
    expect(frame(listening({phase: 'stopping'}))).toContain('stopping')
    const stopped = frame(listening({phase: 'stopped'}))
    expect(stopped).toContain('stopped')
    expect(stopped).not.toContain('q quit')
  })

  it('leaves out key hints when keys are not read', () => {
    expect(frame(listening(), 120, false)).not.toContain('q quit')
  })

  it('drops the least important parts to fit a narrow terminal, on one line', () => {
    const wide = frame(listening(), 120)
    const narrow = frame(listening(), 30)
    expect(wide.split('\n')).toHaveLength(1)
    expect(narrow.split('\n')).toHaveLength(1)
    expect(narrow.length).toBeLessThanOrEqual(30)
    expect(narrow).toContain('● REC')
    expect(narrow).toContain('1:23')
    expect(narrow).not.toContain('q quit')
    // At 80 columns the model name goes before the key hints do.
    const standard = frame(listening(), 80)
    expect(standard).toContain('q quit')
    expect(standard).toContain('rtf')
  })

  it('levelMeter is empty at silence and full at 0 dBFS', () => {
    expect(levelMeter(0)).toBe('░'.repeat(10))
    expect(levelMeter(1)).toBe('█'.repeat(10))
    expect(levelMeter(0.001)).toBe('░'.repeat(10))
  })
})
