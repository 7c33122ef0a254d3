import {access} from 'node:fs/promises'

/** Whether a path exists (any kind, readable or not): for optional files and layout probes. */
export const fileExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  )
