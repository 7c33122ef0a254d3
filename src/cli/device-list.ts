import type {DeviceGroup} from '../engine/audio/capture.js'

const titles: Record<DeviceGroup['format'], string> = {
  avfoundation: 'AVFoundation audio devices (use --device INDEX or NAME)',
  dshow: 'DirectShow audio devices (use --device NAME)',
  pulse: 'pulse sources (use --device NAME)',
  alsa: 'alsa sources (use --device NAME --input-format alsa)',
}

/** What `mic --list-devices` prints: each format's devices under a heading that says how to pick one. */
export function renderDeviceList(groups: readonly DeviceGroup[]): string {
  return groups
    .map(({format, devices, problem}) => {
      const body = devices.length > 0 ? devices.map((d) => `  ${d}`).join('\n') : `  (none found${problem ? `: ${problem}` : ''})`
      return `${titles[format]}:\n${body}\n`
    })
    .join('\n')
}
