// What the numbers were measured on: every report records it.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {onnxRuntimeVersion} from '../src/engine/runtime/onnx.js'
import {findRepoRoot} from './paths.js'

export interface MachineInfo {
  cpu: string
  cores: number
  memoryGB: number
  platform: string
  node: string
  onnxruntime: string
  transformers: string | null
  date: string
  /** Load average when the run began: other processes share the CPU. */
  loadAverage: number[]
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGB: Math.round(os.totalmem() / 1e8) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntime: onnxRuntimeVersion(),
    transformers: transformersVersion(),
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  }
}

/** The installed @huggingface/transformers version (its exports hide package.json), or null when absent. */
export function transformersVersion(): string | null {
  try {
    const file = path.join(findRepoRoot(), 'node_modules', '@huggingface', 'transformers', 'package.json')
    return (JSON.parse(readFileSync(file, 'utf8')) as {version: string}).version
  } catch {
    try {
      const require = createRequire(import.meta.url)
      const main = require.resolve('@huggingface/transformers')
      let dir = path.dirname(main)
      for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
        try {
          return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {version: string}).version
        } catch {
          // keep looking upward
        }
      }
    } catch {
      // not installed
    }
    return null
  }
}
