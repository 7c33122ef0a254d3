// IEEE 754 half precision as Uint16Array bits: onnxruntime-node's representation of float16 tensors.
const scratch = new Float32Array(1)
const bits = new Uint32Array(scratch.buffer)

export function toHalf(value: number): number {
  scratch[0] = value
  const x = bits[0]!
  const sign = (x >>> 16) & 0x8000
  const exponent = (x >>> 23) & 0xff
  let mantissa = x & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0)
  const e = exponent - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mantissa |= 0x800000
    const shift = 14 - e
    const half = mantissa >> shift
    const rest = mantissa & ((1 << shift) - 1)
    const midpoint = 1 << (shift - 1)
    return sign | (half + (rest > midpoint || (rest === midpoint && half & 1) ? 1 : 0))
  }
  const half = sign | (e << 10) | (mantissa >> 13)
  const rest = mantissa & 0x1fff
  return half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0)
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const mantissa = h & 0x3ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Infinity
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
}

export function halfToFloat32(source: Uint16Array, target: Float32Array): Float32Array {
  for (let i = 0; i < source.length; i++) target[i] = fromHalf(source[i]!)
  return target
}

export function float32ToHalf(source: Float32Array, target: Uint16Array): Uint16Array {
  for (let i = 0; i < source.length; i++) target[i] = toHalf(source[i]!)
  return target
}
