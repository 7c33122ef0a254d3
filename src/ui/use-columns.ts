import {useEffect, useState} from 'react'
import {useStdout} from 'ink'

const FALLBACK_COLUMNS = 80

/** The terminal width; a resize re-renders the caller. `override` (tests, fixed layouts) wins. */
export function useColumns(override?: number): number {
  const {stdout} = useStdout()
  const [, setColumns] = useState(() => stdout.columns || FALLBACK_COLUMNS)
  useEffect(() => {
    const onResize = (): void => setColumns(stdout.columns || FALLBACK_COLUMNS)
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  // Read at render time: Ink may re-render for the resize before this hook's own update lands.
  return override ?? (stdout.columns || FALLBACK_COLUMNS)
}
