import {performance} from 'node:perf_hooks'

/**
 * Records a phase (model files, one graph's session, the first window…) as a measure on the
 * process's performance timeline, where whoever runs the engine can read where start-up time goes.
 */
export async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now()
  try {
    return await work()
  } finally {
    performance.measure(name, {start, end: performance.now()})
  }
}

/** Records a point in time (the first audio, the first output) on the same timeline. */
export const mark = (name: string): void => void performance.mark(name)
