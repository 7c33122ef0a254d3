import chalk from 'chalk'
import {afterEach, describe, expect, it} from 'vitest'
import {applyNoColor, chooseOutputMode, noColorRequested} from '../../src/cli/output-mode.js'

describe('chooseOutputMode', () => {
  it('gives a terminal the TUI and everything else JSON lines', () => {
    expect(chooseOutputMode({json: false, stdoutIsTTY: true, env: {}})).toBe('tui')
    expect(chooseOutputMode({json: true, stdoutIsTTY: true, env: {}})).toBe('jsonl')
    expect(chooseOutputMode({json: false, stdoutIsTTY: false, env: {}})).toBe('jsonl')
    expect(chooseOutputMode({json: false, stdoutIsTTY: undefined, env: {}})).toBe('jsonl')
    expect(chooseOutputMode({json: false, stdoutIsTTY: true, env: {TERM: 'dumb'}})).toBe('jsonl')
  })
})

describe('NO_COLOR', () => {
  const level = chalk.level
  afterEach(() => {
    chalk.level = level
  })

  it('is on for any non-empty value and turns chalk (and so Ink colours) off', () => {
    expect(noColorRequested({NO_COLOR: ''})).toBe(false)
    expect(noColorRequested({NO_COLOR: '1'})).toBe(true)
    chalk.level = 1
    expect(applyNoColor({})).toBe(false)
    expect(chalk.level).toBe(1)
    expect(applyNoColor({NO_COLOR: '1'})).toBe(true)
    expect(chalk.level).toBe(0)
    expect(chalk.red('x')).toBe('x')
  })
})
