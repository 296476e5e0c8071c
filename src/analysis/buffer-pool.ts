// Reassembly buffers with a budget: what the TCP PDU framing (pdu-framing.ts) and the TLS stage
// (src/tls/analyzer.ts) collect a PDU that spans segments in. Buffers come in a few size classes
// and are reused, so a busy capture does not allocate one per PDU; the budget bounds what all the
// conversations of one stage hold at once.

/** Size classes: a small PDU, a full TLS record (2^14 + 2048 + header), the largest a TLS record header can name (5 + 65535). */
const POOL_CLASSES = [2048, 18448, 5 + 0xffff];
/** Free buffers kept per size class for reuse. */
const POOL_KEEP = 32;

export class BufferPool {
  inUse = 0;
  private readonly free: Buffer[][] = POOL_CLASSES.map(() => []);
  constructor(readonly budget: number) {}

  /** A buffer of at least `n` bytes, or null when the budget would be exceeded. */
  acquire(n: number): Buffer | null {
    let c = 0;
    while (c < POOL_CLASSES.length && POOL_CLASSES[c] < n) c++;
    const size = c < POOL_CLASSES.length ? POOL_CLASSES[c] : n;
    if (this.inUse + size > this.budget) return null;
    this.inUse += size;
    const list = c < POOL_CLASSES.length ? this.free[c] : null;
    if (list !== null && list.length > 0) return list.pop()!;
    return Buffer.allocUnsafe(size);
  }

  release(b: Buffer): void {
    this.inUse -= b.length;
    const c = POOL_CLASSES.indexOf(b.length);
    if (c >= 0 && this.free[c].length < POOL_KEEP) this.free[c].push(b);
  }
}
