import {useEffect, useState} from 'react'
import {useStdout} from 'ink'

const FALLBACK_COLUMNS = 80

/** The terminal width, re-read on every resize; `override` (tests, fixed layouts) wins. */
export function useColumns(override?: number): number {
  const {stdout} = useStdout()
  const [columns, setColumns] = useState(() => stdout.columns || FALLBACK_COLUMNS)
  useEffect(() => {
    const onResize = (): void => setColumns(stdout.columns || FALLBACK_COLUMNS)
    stdout.on('resize', onResize)
    return () => {
      stdout.off('resize', onResize)
    }
  }, [stdout])
  return override ?? columns
}
