import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {MicApp} from '../../src/ui/mic-app.js'
import {MicStore} from '../../src/ui/mic-store.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 30))

function mount(columns?: number) {
  const store = new MicStore()
  const view = render(<MicApp store={store} model="mini" keys color columns={columns} />)
  return {store, view}
}

describe('MicApp', () => {
  it('draws committed text, the partial and the status from store updates', async () => {
    const {store, view} = mount()
    store.setLevel(0.2, 3)
    store.pushFinal({type: 'final', id: 0, text: ' Hello world.', start: 0.5, end: 1.5})
    store.setPartial({type: 'partial', text: 'how are', start: 1.5, end: 2})
    store.setStats({type: 'stats', audio: 3, stepMs: 120, rtf: 0.12, speaking: true, level: 0.2})
    store.setSpeaking(true)
    await tick()
    const frame = view.lastFrame()!
    expect(frame).toContain('[0:00] Hello world.')
    expect(frame).toContain('how are')
    expect(frame).toContain('speaking')
    expect(frame).toContain('step 120 ms')
    expect(frame).toContain('mini')
    store.pushFinal({type: 'final', id: 1, text: 'how are you', start: 1.5, end: 2.5})
    await tick()
    expect(view.lastFrame()).toContain('how are you')
    expect(view.lastFrame()!.match(/Hello world/g)).toHaveLength(1)
    view.unmount()
  })

  it('p pauses and resumes; q asks to quit once', async () => {
    const {store, view} = mount()
    store.setLevel(0.1, 1)
    const pauses: boolean[] = []
    let quits = 0
    store.onPause((paused) => pauses.push(paused))
    store.onQuit(() => quits++)
    await tick()
    view.stdin.write('p')
    await tick()
    expect(view.lastFrame()).toContain('PAUSED')
    view.stdin.write('p')
    await tick()
    expect(view.lastFrame()).not.toContain('PAUSED')
    view.stdin.write('q')
    await tick()
    view.stdin.write('\u0003') // Ctrl-C
    await tick()
    expect(pauses).toEqual([true, false])
    expect(quits).toBe(1)
    expect(view.lastFrame()).toContain('stopping')
    view.unmount()
  })

  it('Ctrl-C stops like q', async () => {
    const {store, view} = mount()
    let quits = 0
    store.onQuit(() => quits++)
    await tick()
    view.stdin.write('\u0003')
    await tick()
    expect(quits).toBe(1)
    view.unmount()
  })

  it('re-fits the status line when the width changes', async () => {
    const store = new MicStore()
    store.setLevel(0.1, 5)
    store.setStats({type: 'stats', audio: 5, stepMs: 90, rtf: 0.1, speaking: true, level: 0.1})
    const view = render(<MicApp store={store} model="mini" keys color columns={100} />)
    await tick()
    expect(view.lastFrame()).toContain('q quit')
    view.rerender(<MicApp store={store} model="mini" keys color columns={24} />)
    await tick()
    const narrow = view.lastFrame()!
    expect(narrow).not.toContain('q quit')
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(24)
    view.unmount()
  })
})
