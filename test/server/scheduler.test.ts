import {describe, expect, it} from 'vitest'
import {FairScheduler} from '../../src/server/scheduler.js'

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('FairScheduler', () => {
  it('runs one job at a time and serves lanes round-robin, so a busy lane cannot starve the others', async () => {
    const scheduler = new FairScheduler(1)
    const busy = scheduler.lane('busy')
    const quiet = scheduler.lane('quiet')
    const order: string[] = []
    let running = 0
    let peak = 0
    const job = (name: string) => async () => {
      running++
      peak = Math.max(peak, running)
      order.push(name)
      await tick(2)
      running--
    }
    const all = [busy.run(job('b1')), busy.run(job('b2')), busy.run(job('b3')), quiet.run(job('q1')), quiet.run(job('q2'))]
    await Promise.all(all)
    expect(peak).toBe(1)
    expect(order).toEqual(['b1', 'q1', 'b2', 'q2', 'b3'])
  })

  it('honours --concurrency', async () => {
    const scheduler = new FairScheduler(3)
    let running = 0
    let peak = 0
    await Promise.all(
      Array.from({length: 9}, (_, i) =>
        scheduler.lane(`l${i}`).run(async () => {
          running++
          peak = Math.max(peak, running)
          await tick(5)
          running--
        }),
      ),
    )
    expect(peak).toBe(3)
  })

  it('rejects queued jobs of a closed lane or an aborted signal, and keeps going for the others', async () => {
    const scheduler = new FairScheduler(1)
    const a = scheduler.lane()
    const b = scheduler.lane()
    const c = scheduler.lane()
    const abort = new AbortController()
    const first = a.run(() => tick(10))
    const closed = b.run(async () => 'never')
    const aborted = c.run(async () => 'never', abort.signal)
    const after = a.run(async () => 'ran')
    b.close()
    abort.abort()
    await expect(closed).rejects.toMatchObject({code: 'aborted'})
    await expect(aborted).rejects.toMatchObject({code: 'aborted'})
    await first
    await expect(after).resolves.toBe('ran')
    expect(scheduler.waiting).toBe(0)
    expect(scheduler.active).toBe(0)
  })
})
