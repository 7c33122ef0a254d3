// The fixed-radix butterflies of ComplexFft (KISS FFT's kf_bfly2/3/4/5), one pass over every block of
// a stage. Laid out by hand, one complex operation per line, to read like the math (Prettier leaves
// it alone: .prettierignore).

/** Radix-2 butterflies over every block of 2·m points in x[0..end). */
export function bfly2(x: Float64Array, end: number, m: number, tw: Float64Array): void {
  for (let o = 0; o < end; o += 4 * m)
  for (let u = 0; u < m; u++) {
    const a = o + 2 * u
    const b = a + 2 * m
    const wr = tw[2 * u], wi = tw[2 * u + 1]
    const tr = x[b] * wr - x[b + 1] * wi
    const ti = x[b] * wi + x[b + 1] * wr
    x[b] = x[a] - tr
    x[b + 1] = x[a + 1] - ti
    x[a] += tr
    x[a + 1] += ti
  }
}

const SIN_2PI_3 = Math.sin((-2 * Math.PI) / 3)

/** Radix-3 butterflies over every block of 3·m points in x[0..end). */
export function bfly3(x: Float64Array, end: number, m: number, tw: Float64Array): void {
  const epi = SIN_2PI_3
  for (let o = 0; o < end; o += 6 * m)
  for (let u = 0; u < m; u++) {
    const a = o + 2 * u, b = a + 2 * m, c = b + 2 * m, t = 4 * u
    const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3]
    const s1r = x[b] * w1r - x[b + 1] * w1i, s1i = x[b] * w1i + x[b + 1] * w1r
    const s2r = x[c] * w2r - x[c + 1] * w2i, s2i = x[c] * w2i + x[c + 1] * w2r
    const s3r = s1r + s2r, s3i = s1i + s2i
    const s0r = (s1r - s2r) * epi, s0i = (s1i - s2i) * epi
    const hr = x[a] - 0.5 * s3r, hi = x[a + 1] - 0.5 * s3i
    x[a] += s3r
    x[a + 1] += s3i
    x[c] = hr + s0i
    x[c + 1] = hi - s0r
    x[b] = hr - s0i
    x[b + 1] = hi + s0r
  }
}

/** Radix-4 butterflies over every block of 4·m points in x[0..end). */
export function bfly4(x: Float64Array, end: number, m: number, tw: Float64Array): void {
  for (let o = 0; o < end; o += 8 * m)
  for (let u = 0; u < m; u++) {
    const a = o + 2 * u, b = a + 2 * m, c = b + 2 * m, d = c + 2 * m, t = 6 * u
    const w1r = tw[t], w1i = tw[t + 1], w2r = tw[t + 2], w2i = tw[t + 3], w3r = tw[t + 4], w3i = tw[t + 5]
    const s0r = x[b] * w1r - x[b + 1] * w1i, s0i = x[b] * w1i + x[b + 1] * w1r
    const s1r = x[c] * w2r - x[c + 1] * w2i, s1i = x[c] * w2i + x[c + 1] * w2r
    const s2r = x[d] * w3r - x[d + 1] * w3i, s2i = x[d] * w3i + x[d + 1] * w3r
    const s5r = x[a] - s1r, s5i = x[a + 1] - s1i
    const ar = x[a] + s1r, ai = x[a + 1] + s1i
    const s3r = s0r + s2r, s3i = s0i + s2i
    const s4r = s0r - s2r, s4i = s0i - s2i
    x[c] = ar - s3r
    x[c + 1] = ai - s3i
    x[a] = ar + s3r
    x[a + 1] = ai + s3i
    x[b] = s5r + s4i
    x[b + 1] = s5i - s4r
    x[d] = s5r - s4i
    x[d + 1] = s5i + s4r
  }
}

const YA_R = Math.cos((-2 * Math.PI) / 5), YA_I = Math.sin((-2 * Math.PI) / 5)
const YB_R = Math.cos((-4 * Math.PI) / 5), YB_I = Math.sin((-4 * Math.PI) / 5)

/** Radix-5 butterflies over every block of 5·m points in x[0..end). */
export function bfly5(x: Float64Array, end: number, m: number, tw: Float64Array): void {
  const yar = YA_R, yai = YA_I, ybr = YB_R, ybi = YB_I
  for (let o = 0; o < end; o += 10 * m)
  for (let u = 0; u < m; u++) {
    const i0 = o + 2 * u, i1 = i0 + 2 * m, i2 = i1 + 2 * m, i3 = i2 + 2 * m, i4 = i3 + 2 * m, t = 8 * u
    const s0r = x[i0], s0i = x[i0 + 1]
    const s1r = x[i1] * tw[t] - x[i1 + 1] * tw[t + 1], s1i = x[i1] * tw[t + 1] + x[i1 + 1] * tw[t]
    const s2r = x[i2] * tw[t + 2] - x[i2 + 1] * tw[t + 3], s2i = x[i2] * tw[t + 3] + x[i2 + 1] * tw[t + 2]
    const s3r = x[i3] * tw[t + 4] - x[i3 + 1] * tw[t + 5], s3i = x[i3] * tw[t + 5] + x[i3 + 1] * tw[t + 4]
    const s4r = x[i4] * tw[t + 6] - x[i4 + 1] * tw[t + 7], s4i = x[i4] * tw[t + 7] + x[i4 + 1] * tw[t + 6]
    const s7r = s1r + s4r, s7i = s1i + s4i
    const s10r = s1r - s4r, s10i = s1i - s4i
    const s8r = s2r + s3r, s8i = s2i + s3i
    const s9r = s2r - s3r, s9i = s2i - s3i
    x[i0] = s0r + s7r + s8r
    x[i0 + 1] = s0i + s7i + s8i
    const s5r = s0r + s7r * yar + s8r * ybr, s5i = s0i + s7i * yar + s8i * ybr
    const s6r = s10i * yai + s9i * ybi, s6i = -s10r * yai - s9r * ybi
    x[i1] = s5r - s6r
    x[i1 + 1] = s5i - s6i
    x[i4] = s5r + s6r
    x[i4 + 1] = s5i + s6i
    const s11r = s0r + s7r * ybr + s8r * yar, s11i = s0i + s7i * ybr + s8i * yar
    const s12r = -s10i * ybi + s9i * yai, s12i = s10r * ybi - s9r * yai
    x[i2] = s11r + s12r
    x[i2 + 1] = s11i + s12i
    x[i3] = s11r - s12r
    x[i3 + 1] = s11i - s12i
  }
}
