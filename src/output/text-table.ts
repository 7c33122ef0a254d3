export type Cell = string | number | null | undefined

export interface TextTableOptions {
  /** A dashed rule under the header. */
  rule?: boolean
  /** Right-align the columns whose every cell is a number (or a ratio, percentage or dash). */
  alignNumbers?: boolean
}

/** Plain aligned columns, two spaces apart, no trailing blanks: `models list` and the bench report. */
export function textTable(headers: readonly string[], rows: readonly Cell[][], options: TextTableOptions = {}): string {
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '–' : String(cell))))
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => row[i]?.length ?? 0)))
  const numeric = headers.map((_, i) => options.alignNumbers === true && text.every((row) => /^[-–\d.,x% ]*$/.test(row[i] ?? '')))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  const rule = options.rule ? [widths.map((w) => '-'.repeat(w)).join('  ')] : []
  return [line(headers), ...rule, ...text.map(line)].join('\n')
}
