import {render} from 'ink-testing-library'
import {describe, expect, it} from 'vitest'
import {MicApp} from '../../src/ui/mic-app.js'
import {MicStore} from '../../src/ui/mic-store.js'

type View = ReturnType<typeof render>

/** Resolves at the first frame (the current one included) that satisfies `predicate`; the test's timeout bounds the wait. */
function frame(view: View, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const text = view.lastFrame()
      if (text === undefined || !predicate(text)) return false
      resolve(text)
      return true
    }
    if (check()) return
    const stdout = view.stdout as unknown as {write: (text: string) => void}
    const write = stdout.write
    stdout.write = (text: string) => {
      write(text)
      if (check()) stdout.write = write
    }
  })
}

/** Resolves once Ink listens for keys (useInput attaches in an effect, after the first frame). */
function keysReady(view: View): Promise<void> {
  if (view.stdin.listenerCount('readable') > 0) return Promise.resolve()
  return new Promise((resolve) => {
    const onListener = (event: string | symbol): void => {
      if (event !== 'readable') return
      view.stdin.off('newListener', onListener)
      queueMicrotask(resolve)
    }
    view.stdin.on('newListener', onListener)
  })
}

const has = (text: string) => (frame: string) => frame.includes(text)

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
    const drawn = await frame(view, has('step 120 ms'))
    expect(drawn).toContain('[0:00] Hello world.')
    expect(drawn).toContain('how are')
    expect(drawn).toContain('speaking')
    expect(drawn).toContain('mini')
    store.pushFinal({type: 'final', id: 1, text: 'how are you', start: 1.5, end: 2.5})
    await frame(view, has('how are you'))
    expect(view.lastFrame()!.match(/Hello world/g)).toHaveLength(1)
    view.unmount()
  })

  it('p pauses and resumes; q asks to quit once', async () => {
    const {store, view} = mount()
    store.setLevel(0.1, 1)
    const pauses: boolean[] = []
    let quits = 0
    let paused = store.getSnapshot().paused
    store.subscribe(() => {
      if (store.getSnapshot().paused !== paused) pauses.push((paused = store.getSnapshot().paused))
    })
    store.onQuit(() => quits++)
    await keysReady(view)
    view.stdin.write('p')
    await frame(view, has('PAUSED'))
    view.stdin.write('p')
    await frame(view, (text) => !text.includes('PAUSED'))
    view.stdin.write('q')
    await frame(view, has('stopping'))
    view.stdin.write('\u0003') // Ctrl-C: keys are handled as they arrive, so a second quit would count now
    expect(pauses).toEqual([true, false])
    expect(quits).toBe(1)
    view.unmount()
  })

  it('Ctrl-C stops like q', async () => {
    const {store, view} = mount()
    let quits = 0
    const quit = new Promise<void>((resolve) => store.onQuit(() => resolve(void quits++)))
    await keysReady(view)
    view.stdin.write('\u0003')
    await quit
    expect(quits).toBe(1)
    view.unmount()
  })

  it('re-fits the status line when the width changes', async () => {
    const store = new MicStore()
    store.setLevel(0.1, 5)
    store.setStats({type: 'stats', audio: 5, stepMs: 90, rtf: 0.1, speaking: true, level: 0.1})
    const view = render(<MicApp store={store} model="mini" keys color columns={100} />)
    await frame(view, has('q quit'))
    view.rerender(<MicApp store={store} model="mini" keys color columns={24} />)
    const narrow = await frame(view, (text) => !text.includes('q quit'))
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(24)
    view.unmount()
  })
})
