/** The last `capacity` committed tokens, in a fixed ring; `tokens()` reuses one array. */
export class PromptTail {
  private readonly ring: Int32Array
  private readonly out: number[] = []
  private next = 0
  private count = 0

  constructor(private readonly capacity: number) {
    this.ring = new Int32Array(Math.max(capacity, 1))
  }

  get size(): number {
    return this.count
  }

  add(tokens: readonly number[]): void {
    if (this.capacity === 0) return
    for (const token of tokens) {
      this.ring[this.next] = token
      this.next = (this.next + 1) % this.capacity
      if (this.count < this.capacity) this.count++
    }
  }

  clear(): void {
    this.count = 0
    this.next = 0
  }

  tokens(): readonly number[] {
    this.out.length = this.count
    const first = (this.next - this.count + this.capacity) % Math.max(this.capacity, 1)
    for (let i = 0; i < this.count; i++) this.out[i] = this.ring[(first + i) % this.capacity]
    return this.out
  }
}
