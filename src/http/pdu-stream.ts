// PDUs of a protocol carried in decrypted TLS (HTTP/1.x): one direction's plaintext, record after
// record, cut into the protocol's PDUs by its own length rule (the `tcpPdu.pduLength` it gives the
// TCP framing, src/analysis/pdu-framing.ts) and handed to its `dissect` in the frame whose record
// completes each PDU, as tshark's TLS dissector reassembles what it decrypted for the protocol
// above it. A record that completes no PDU is what tshark names "[TLS segment of a reassembled PDU]".
// A PDU that runs to the end of the connection (a response without a length) is never dissected,
// as tshark's TLS reassembly never completes one: neither close_notify nor FIN ends it.
//
// Memory: a PDU collected across records is held up to MAX_PDU_BYTES, its buffer grown as bytes
// come (never sized by the length a PDU claims); one longer is passed over by its length. All
// streams of a capture share a PduBudget: past it, a PDU is passed over rather than collected.
// Every loop is bounded by the bytes fed.

import type { Dissection } from '../decode/dissection';
import { FramedProtocol, PDU_NOT_MINE, PDU_UNTIL_CLOSE } from '../decode/protocol-registry';

/** A PDU collected across records is held up to this size; a longer one is passed over. */
export const MAX_PDU_BYTES = 16 * 1024 * 1024;

/** Bytes held by the PDUs being collected over all streams of a capture, and the most they may hold. */
export class PduBudget {
  inUse = 0;
  constructor(readonly limit = 64 * 1024 * 1024) {}
}

/** A first buffer for a PDU being collected; it doubles as bytes come. */
const FIRST_BUFFER = 4096;

export class PduStream {
  private pending: Buffer | null = null;
  private pendingLen = 0;
  /** Length of the pending PDU once known, else 0. */
  private need = 0;
  /** Ask for the length again once this many bytes are held. */
  private askAt = 0;
  private untilClose = false;
  /** Bytes of an overlong PDU still to pass over. */
  private skip = 0;
  /** The bytes stopped being the protocol's: nothing more is dissected. */
  notMine = false;

  constructor(private readonly proto: FramedProtocol, private readonly state: unknown, private readonly budget: PduBudget = new PduBudget()) {}

  /**
   * The next decrypted bytes of the direction, for the frame in `d`: every PDU they complete is
   * dissected into `d`. Returns how many PDUs were dissected.
   */
  feed(d: Dissection, data: Buffer): number {
    if (this.notMine) return 0;
    let p = 0;
    const end = data.length;
    let done = 0;
    if (this.skip > 0) {
      const n = Math.min(this.skip, end);
      this.skip -= n;
      p = n;
    }
    if (p < end && this.pending !== null) {
      const r = this.continuePending(d, data, p);
      if (r < 0) return this.lastCount;
      done += this.lastCount;
      p = r;
    }
    const spec = this.proto.spec.tcpPdu;
    for (let atStart = true; p < end && !this.notMine; atStart = false) {
      const n = spec.pduLength(data, p, end, this.state, atStart);
      if (n === PDU_NOT_MINE) {
        this.notMine = true;
        break;
      }
      if (n > 0 && p + n <= end) {
        this.dissect(d, data, p, p + n);
        done++;
        p += n;
        continue;
      }
      this.start(data, p, end, n);
      break;
    }
    return done;
  }

  private lastCount = 0;

  /** Add bytes from `p` to the pending PDU; returns where the rest starts, or -1 when all were taken. */
  private continuePending(d: Dissection, data: Buffer, p: number): number {
    this.lastCount = 0;
    const end = data.length;
    const take = this.need > 0 ? Math.min(this.need - this.pendingLen, end - p) : end - p;
    if (!this.ensure(this.pendingLen + take)) {
      if (this.need > 0) this.skip = this.need - this.pendingLen - take;
      this.drop();
      return p + take < end ? p + take : -1;
    }
    data.copy(this.pending!, this.pendingLen, p, p + take);
    this.pendingLen += take;
    let used = take;
    if (this.need === 0 && !this.untilClose && this.pendingLen >= this.askAt) {
      const n = this.proto.spec.tcpPdu.pduLength(this.pending!, 0, this.pendingLen, this.state, true);
      if (n === PDU_NOT_MINE) {
        this.drop();
        this.notMine = true;
        return -1;
      }
      if (n > 0) {
        if (n > MAX_PDU_BYTES) {
          this.skip = n - this.pendingLen;
          this.drop();
          return -1;
        }
        if (n < this.pendingLen) {
          used -= this.pendingLen - n;
          this.pendingLen = n;
        }
        this.need = n;
      } else if (n === PDU_UNTIL_CLOSE) {
        this.untilClose = true;
      } else {
        this.askAt = Math.max(this.pendingLen + 1, -n);
      }
    }
    if (this.need > 0 && this.pendingLen >= this.need) {
      const b = this.pending!.subarray(0, this.need);
      this.drop();
      this.dissect(d, b, 0, b.length);
      this.lastCount = 1;
      return p + used < end ? p + used : -1;
    }
    return -1;
  }

  private start(data: Buffer, p: number, end: number, n: number): void {
    const have = end - p;
    if (n > MAX_PDU_BYTES) {
      this.skip = n - have;
      return;
    }
    if (!this.ensure(have)) {
      if (n > 0) this.skip = n - have;
      return;
    }
    data.copy(this.pending!, 0, p, end);
    this.pendingLen = have;
    this.need = n > 0 ? n : 0;
    this.untilClose = n === PDU_UNTIL_CLOSE;
    this.askAt = n < 0 && n !== PDU_UNTIL_CLOSE ? Math.max(have + 1, -n) : 0;
  }

  private dissect(d: Dissection, buf: Buffer, off: number, end: number): void {
    // Decrypted bytes are not the frame's: the PDU is dissected as reassembled (no byte ranges in the frame).
    this.proto.spec.tcpPdu.dissect(d, this.proto.layer(d), buf, off, end, true, this.proto.id, this.state);
  }

  private ensure(n: number): boolean {
    if (n > MAX_PDU_BYTES) return false;
    if (this.pending !== null && this.pending.length >= n) return true;
    // Doubling, so a PDU collected record by record is copied O(log n) times.
    const held = this.pending !== null ? this.pending.length : 0;
    const size = Math.min(MAX_PDU_BYTES, Math.max(n, held * 2, FIRST_BUFFER));
    if (this.budget.inUse - held + size > this.budget.limit) return false;
    const nb = Buffer.allocUnsafe(size);
    if (this.pending !== null) this.pending.copy(nb, 0, 0, this.pendingLen);
    this.budget.inUse += size - held;
    this.pending = nb;
    return true;
  }

  /** Give up what is being collected (the connection is forgotten). */
  release(): void {
    this.drop();
  }

  private drop(): void {
    if (this.pending !== null) this.budget.inUse -= this.pending.length;
    this.pending = null;
    this.pendingLen = 0;
    this.need = 0;
    this.askAt = 0;
    this.untilClose = false;
  }
}
