import {WhisperStreamError} from '../engine/errors.js'

interface Job {
  /** performance.now() when it was queued. */
  queued: number
  run: () => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
  signal: AbortSignal | undefined
  /** Stops listening to `signal`: once the job has left the queue, the work itself sees the signal. */
  detach: () => void
}

/**
 * One session's place in the scheduler. A lane holds the jobs of one stream or one file request;
 * a Streamer never has more than one inference in flight, so a lane's queue is at most one deep
 * in practice (bounded by construction, not by a cap).
 */
export class Lane {
  readonly queue: Job[] = []
  closed = false
  /** Jobs run so far and milliseconds spent in them (for logs and the load harness). */
  runs = 0
  /** The scheduler's turn counter when this lane last ran (0: never); the least recent goes first. */
  lastTurn = 0
  busyMs = 0
  waitMs = 0

  constructor(
    private readonly scheduler: FairScheduler,
    readonly name: string,
  ) {}

  /** Runs `work` when this lane's turn comes; rejects with 'aborted' if `signal` fires while waiting. */
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.scheduler.enqueue(this, work, signal)
  }

  /** Leaves the rotation; queued jobs are rejected. */
  close(): void {
    this.scheduler.remove(this)
  }
}

/**
 * A fair gate in front of the shared model: at most `concurrency` inferences run at once, and
 * waiting lanes are served round-robin (the lane that ran least recently first, one job per turn), so no session starves however
 * busy the others are. Sessions that wait longer see more new audio when their turn comes; the
 * Streamer coalesces it into one step, which is how overload degrades latency, not memory.
 */
export class FairScheduler {
  readonly concurrency: number
  private running = 0
  /** Lanes with queued jobs, in turn order. */
  private readonly ready: Lane[] = []
  private lanes = 0
  private nextLane = 0
  private turn = 0
  /** Told of every finished job: how long it waited for its turn, and how long it ran (for metrics). */
  onRun: ((waitMs: number, busyMs: number) => void) | undefined

  constructor(concurrency = 1) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new WhisperStreamError('usage', `concurrency must be a positive integer, got ${concurrency}`)
    this.concurrency = concurrency
  }

  lane(name = `lane-${this.nextLane++}`): Lane {
    this.lanes++
    return new Lane(this, name)
  }

  /** Inferences running now. */
  get active(): number {
    return this.running
  }

  /** Lanes waiting for a turn. */
  get waiting(): number {
    return this.ready.length
  }

  get laneCount(): number {
    return this.lanes
  }

  enqueue<T>(lane: Lane, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (lane.closed) return Promise.reject(new WhisperStreamError('aborted', 'session closed'))
    if (signal?.aborted) return Promise.reject(new WhisperStreamError('aborted', 'transcription cancelled', {cause: signal.reason}))
    return new Promise<T>((resolve, reject) => {
      const queued = performance.now()
      const job: Job = {
        queued,
        run: async () => {
          lane.waitMs += performance.now() - queued
          return work()
        },
        resolve: resolve as (value: unknown) => void,
        reject,
        signal,
        detach: () => {},
      }
      if (signal) {
        // Removed when the job leaves the queue: a session's signal lives as long as the session, and a
        // listener per inference step would keep every finished job (and its closures) alive until then.
        const onAbort = (): void => this.cancel(lane, job)
        signal.addEventListener('abort', onAbort, {once: true})
        job.detach = () => signal.removeEventListener('abort', onAbort)
      }
      lane.queue.push(job)
      if (lane.queue.length === 1) this.ready.push(lane)
      this.dispatch()
    })
  }

  remove(lane: Lane): void {
    if (lane.closed) return
    lane.closed = true
    this.lanes--
    const i = this.ready.indexOf(lane)
    if (i >= 0) this.ready.splice(i, 1)
    for (const job of lane.queue.splice(0)) {
      job.detach()
      job.reject(new WhisperStreamError('aborted', 'session closed'))
    }
  }

  private cancel(lane: Lane, job: Job): void {
    const i = lane.queue.indexOf(job)
    if (i < 0) return // already running: the work itself sees the signal
    lane.queue.splice(i, 1)
    if (lane.queue.length === 0) {
      const at = this.ready.indexOf(lane)
      if (at >= 0) this.ready.splice(at, 1)
    }
    job.reject(new WhisperStreamError('aborted', 'transcription cancelled', {cause: job.signal?.reason}))
  }

  private dispatch(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      // Round-robin: the waiting lane that ran least recently (arrival order breaks ties).
      let pick = 0
      for (let i = 1; i < this.ready.length; i++) if (this.ready[i]!.lastTurn < this.ready[pick]!.lastTurn) pick = i
      const lane = this.ready.splice(pick, 1)[0]!
      lane.lastTurn = ++this.turn
      const job = lane.queue.shift()!
      job.detach()
      // Still has work: back of the line, behind everyone who was waiting.
      if (lane.queue.length > 0) this.ready.push(lane)
      this.running++
      const started = performance.now()
      void job
        .run()
        .then(job.resolve, job.reject)
        .finally(() => {
          const busy = performance.now() - started
          lane.runs++
          lane.busyMs += busy
          this.running--
          try {
            this.onRun?.(started - job.queued, busy)
          } catch {
            // An observer's failure is not the job's.
          }
          this.dispatch()
        })
    }
  }
}
