// TCP stream reassembly: each direction of each connection delivered as one ordered byte stream, so
// that TLS records spanning segments and the follow-stream view see bytes, not segments.
//
// API (for the TLS dissector, follow-stream, and anything else that reads a byte stream):
//
//   import { registerStreamConsumer, StreamConsumer } from '../analysis/reassembly';
//   registerStreamConsumer({
//     data(d, stream, dir, buf, off, len, streamOffset) { ... },
//     gap(d, stream, dir, streamOffset, len) { ... },          // optional
//   });
//
// - `data` is called from the TCP analyzer (TcpStreamTable, the first analysis stage of the pipeline)
//   whenever new in-order bytes become available. `d` is the Dissection of the frame that completes
//   them (`d.number` is the frame that delivered them; d.tcp is already filled for it), `stream` the
//   tcp.stream index, `dir` 0 for bytes the client sent and 1 for the server's (d.tcp.direction's
//   convention), and `buf[off .. off+len)` the bytes, whose first byte is at `streamOffset` in that
//   direction (offset 0 = the first byte after the SYN, i.e. relative sequence number 1).
//   Offsets count on past 4 GiB: they are plain numbers, not 32-bit sequence numbers.
// - The bytes are only valid during the call: `buf` is usually the frame buffer, which the capture
//   reader reuses. Copy what you need to keep.
// - One frame may deliver several chunks (its own bytes and then buffered out-of-order segments that
//   it made contiguous); they come in stream order without overlap. Retransmitted bytes are delivered
//   once: a retransmission that adds nothing new delivers nothing.
// - `gap` tells that `len` bytes at `streamOffset` will never be delivered: not captured (the peer
//   acknowledged bytes the capture lacks, or the snapshot length cut the segment), or skipped because
//   holding more out-of-order data would exceed the memory cap. A consumer that parses records
//   should resynchronise after a gap.
// - Consumers registered with registerStreamConsumer are attached to every TcpStreamTable created
//   afterwards; `table.addConsumer(c)` attaches one to a single table. Without consumers nothing is
//   reassembled and nothing is copied.
//
// Memory: in-order bytes are handed over without copying; only out-of-order segments are copied and
// held, at most `maxBufferedBytes` per stream (both directions together). When a segment would go
// beyond that, the oldest hole is given up (reported as a gap) so that what is held can be delivered.
// Every byte is accounted for in the per-direction counters (delivered, retransmitted, missing,
// skipped), never silently dropped from the counts.

import { Dissection } from '../decode/dissection';
import { TH_FIN, TH_SYN } from '../decode/tcp';

export interface StreamConsumer {
  data(d: Dissection, stream: number, dir: number, buf: Buffer, off: number, len: number, streamOffset: number): void;
  gap?(d: Dissection, stream: number, dir: number, streamOffset: number, len: number): void;
}

export interface ReassemblyOptions {
  /** Most out-of-order bytes held per stream (default 4 MiB). */
  maxBufferedBytes?: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** An acknowledgement further ahead than this is not taken as proof of bytes missing from the capture. */
const MAX_ACK_GAP = 1 << 30;

export const globalStreamConsumers: StreamConsumer[] = [];

/** Attach a consumer to every TcpStreamTable (pipeline) created from now on. */
export function registerStreamConsumer(c: StreamConsumer): void {
  globalStreamConsumers.push(c);
}

/** Counters of one direction of a stream. */
export class DirectionStats {
  /** Bytes handed to consumers. */
  delivered = 0;
  /** Bytes seen again after they had been delivered or buffered (retransmissions, overlaps). */
  retransmitted = 0;
  /** Bytes the peer acknowledged or the headers announced but the capture lacks. */
  missing = 0;
  /** Bytes given up because holding them out of order would exceed the memory cap. */
  skipped = 0;
  /** Out-of-order bytes held now, and the most ever held. */
  buffered = 0;
  bufferedPeak = 0;
  /** Offset of the next byte expected (= delivered + missing + skipped). */
  nextOffset = 0;
  /** Everything up to the sender's FIN has been delivered or reported as a gap. */
  finished = false;
}

interface Piece {
  offset: number;
  data: Buffer;
}

class Direction {
  started = false;
  /** Raw sequence number of the byte at stats.nextOffset. */
  expectSeq = 0;
  finSeq = -1;
  pending: Piece[] = [];
  readonly stats = new DirectionStats();
}

class StreamState {
  readonly dirs = [new Direction(), new Direction()];
  buffered = 0;
}

export class Reassembler {
  private readonly consumers: StreamConsumer[] = [];
  private readonly streams = new Map<number, StreamState>();
  readonly maxBufferedBytes: number;

  constructor(opts: ReassemblyOptions = {}) {
    this.maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  get active(): boolean {
    return this.consumers.length > 0;
  }

  addConsumer(c: StreamConsumer): void {
    this.consumers.push(c);
  }

  /** Counters of one direction, or undefined when nothing was reassembled there. */
  stats(stream: number, dir: number): DirectionStats | undefined {
    const st = this.streams.get(stream);
    return st?.dirs[dir].started ? st.dirs[dir].stats : undefined;
  }

  /** A segment of `stream` in direction `dir`; baseSeq is that side's Wireshark base (ISN, or first seq - 1). */
  segment(d: Dissection, stream: number, dir: number, baseSeq: number, _sawSyn: boolean): void {
    let st = this.streams.get(stream);
    if (st === undefined) {
      st = new StreamState();
      this.streams.set(stream, st);
    }
    const s = st.dirs[dir];
    if (!s.started) {
      s.started = true;
      s.expectSeq = (baseSeq + 1) >>> 0;
    }
    const dataSeq = (d.seqRaw + (d.tcpFlags & TH_SYN ? 1 : 0)) >>> 0;
    if (d.tcpFlags & TH_FIN) s.finSeq = (dataSeq + d.payloadLen) >>> 0;
    if (d.payloadLen > 0) {
      const offset = s.stats.nextOffset + ((dataSeq - s.expectSeq) | 0);
      this.place(d, st, s, stream, dir, offset, d.buf, d.payloadOff, d.payloadCapLen, d.payloadLen, false);
    }
    if (s.finSeq >= 0 && s.expectSeq === s.finSeq) s.stats.finished = true;
  }

  /** The peer acknowledged up to raw `ack` in direction `dir`: bytes before it that never came are missing. */
  acked(d: Dissection, stream: number, dir: number, ack: number): void {
    const st = this.streams.get(stream);
    if (st === undefined) return;
    const s = st.dirs[dir];
    if (!s.started) return;
    let upTo = ack;
    // The FIN takes one sequence number but carries no byte.
    if (s.finSeq >= 0 && upTo === ((s.finSeq + 1) >>> 0)) upTo = s.finSeq;
    const ahead = (upTo - s.expectSeq) | 0;
    if (ahead <= 0 || ahead > MAX_ACK_GAP) return;
    let end = s.stats.nextOffset + ahead;
    if (s.pending.length > 0 && s.pending[0].offset < end) end = s.pending[0].offset;
    const len = end - s.stats.nextOffset;
    if (len > 0) {
      s.stats.missing += len;
      this.skipTo(d, st, s, stream, dir, end);
    }
  }

  /**
   * Put [offset, offset+seqLen) in place: deliver what is new and contiguous, hold what is ahead.
   * Only capLen bytes of it were captured; the rest is missing.
   */
  private place(d: Dissection, st: StreamState, s: Direction, stream: number, dir: number, offset: number, buf: Buffer, off: number, capLen: number, seqLen: number, fromPending: boolean): void {
    const stats = s.stats;
    for (;;) {
      const next = stats.nextOffset;
      const end = offset + seqLen;
      if (end <= next) {
        if (!fromPending) stats.retransmitted += seqLen;
        return;
      }
      if (offset <= next) {
        const skip = next - offset;
        if (!fromPending) stats.retransmitted += skip;
        if (skip < capLen) {
          this.deliver(d, s, stream, dir, buf, off + skip, capLen - skip, next);
        }
        if (capLen < seqLen) {
          const from = Math.max(offset + capLen, next);
          const lost = end - from;
          if (lost > 0) {
            stats.missing += lost;
            this.advance(s, from, end);
            this.notifyGap(d, stream, dir, from, lost);
          }
        }
        this.drain(d, st, s, stream, dir);
        return;
      }
      // Ahead of the next expected byte: hold a copy, within the cap.
      if (capLen === 0) {
        // Nothing captured to hold; the announced bytes count as missing when the hole closes.
        return;
      }
      if (st.buffered + capLen <= this.maxBufferedBytes) {
        this.hold(st, s, offset, buf, off, capLen, fromPending);
        return;
      }
      // Over the cap: give up the oldest hole so what is held can flow, then try again.
      const target = s.pending.length > 0 ? Math.min(s.pending[0].offset, offset) : offset;
      stats.skipped += target - next;
      this.skipTo(d, st, s, stream, dir, target);
    }
  }

  private hold(st: StreamState, s: Direction, offset: number, buf: Buffer, off: number, len: number, fromPending: boolean): void {
    const p = s.pending;
    let i = p.length;
    while (i > 0 && p[i - 1].offset > offset) i--;
    // The same bytes already held (a retransmitted out-of-order segment): keep one copy.
    if (i > 0 && p[i - 1].offset === offset && p[i - 1].data.length >= len) {
      if (!fromPending) s.stats.retransmitted += len;
      return;
    }
    const data = Buffer.allocUnsafe(len);
    buf.copy(data, 0, off, off + len);
    p.splice(i, 0, { offset, data });
    st.buffered += len;
    s.stats.buffered += len;
    if (s.stats.buffered > s.stats.bufferedPeak) s.stats.bufferedPeak = s.stats.buffered;
  }

  /** Deliver held pieces that are now contiguous. */
  private drain(d: Dissection, st: StreamState, s: Direction, stream: number, dir: number): void {
    const p = s.pending;
    while (p.length > 0 && p[0].offset <= s.stats.nextOffset) {
      const piece = p.shift()!;
      st.buffered -= piece.data.length;
      s.stats.buffered -= piece.data.length;
      const end = piece.offset + piece.data.length;
      if (end <= s.stats.nextOffset) {
        s.stats.retransmitted += piece.data.length;
        continue;
      }
      const skip = s.stats.nextOffset - piece.offset;
      s.stats.retransmitted += skip;
      this.deliver(d, s, stream, dir, piece.data, skip, piece.data.length - skip, s.stats.nextOffset);
    }
  }

  /** Move past a hole up to `target` (reported as a gap), then deliver what follows it. */
  private skipTo(d: Dissection, st: StreamState, s: Direction, stream: number, dir: number, target: number): void {
    const from = s.stats.nextOffset;
    if (target <= from) return;
    this.advance(s, from, target);
    this.notifyGap(d, stream, dir, from, target - from);
    this.drain(d, st, s, stream, dir);
  }

  private advance(s: Direction, from: number, to: number): void {
    s.expectSeq = (s.expectSeq + (to - from)) >>> 0;
    s.stats.nextOffset = to;
  }

  private deliver(d: Dissection, s: Direction, stream: number, dir: number, buf: Buffer, off: number, len: number, streamOffset: number): void {
    this.advance(s, streamOffset, streamOffset + len);
    s.stats.delivered += len;
    const cs = this.consumers;
    for (let i = 0; i < cs.length; i++) cs[i].data(d, stream, dir, buf, off, len, streamOffset);
  }

  private notifyGap(d: Dissection, stream: number, dir: number, streamOffset: number, len: number): void {
    const cs = this.consumers;
    for (let i = 0; i < cs.length; i++) cs[i].gap?.(d, stream, dir, streamOffset, len);
  }
}
