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
// held, at most `maxBufferedBytes` and `maxHeldSegments` per stream (both directions together). When a
// segment would go beyond either, the oldest hole is given up (reported as a gap) so that what is held
// can be delivered. Over all streams, at most `maxTotalBufferedBytes` and `maxTotalHeldSegments`: past
// them, the stream that added to what it holds least recently loses it all, as one gap per direction. Held segments sit in a heap on offset: holding one and delivering one each cost
// O(log n), whatever the order the sender chose.
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
  /** Most out-of-order segments held per stream (default 16384). */
  maxHeldSegments?: number;
  /** Most out-of-order bytes held over all streams (default 256 MiB). */
  maxTotalBufferedBytes?: number;
  /** Most out-of-order segments held over all streams (default 2^20). */
  maxTotalHeldSegments?: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * Segments held per stream by default: 4 MiB of 256-byte segments. The byte cap alone would let a
 * sender park 4 million one-byte segments, each costing a Buffer object many times its byte.
 */
export const DEFAULT_MAX_HELD_SEGMENTS = 16384;
/**
 * Over all streams: 64 streams at their byte cap. Streams are never forgotten, so without it a
 * capture of many connections that each leave a hole would keep every one's held bytes to the end.
 */
export const DEFAULT_MAX_TOTAL_BUFFERED_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_TOTAL_HELD_SEGMENTS = 1 << 20;
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
  /** Holes given up because the stream held maxHeldSegments segments (their bytes count in skipped). */
  segmentCapHits = 0;
  /**
   * Times what this direction held was dropped, unheard, to make room for another stream under the
   * caps over all streams: everything up to the end of the held bytes became one gap (in skipped).
   */
  evictions = 0;
  /** Out-of-order bytes held now, and the most ever held. */
  buffered = 0;
  bufferedPeak = 0;
  /** Offset of the next byte expected (= delivered + missing + skipped). */
  nextOffset = 0;
  /** Everything up to the sender's FIN has been delivered or reported as a gap. */
  finished = false;
}

/**
 * Out-of-order segments held by one direction: a binary min-heap on stream offset (ties in arrival
 * order, so the copy that came first is the one delivered). Holding a segment and taking the first
 * one off cost O(log n) whatever order the segments come in: a sorted list walked to find each
 * segment's place costs O(n) per segment, quadratic when a sender sends its bytes last byte first.
 */
class HeldSegments {
  size = 0;
  private offset = new Float64Array(16);
  private arrival = new Float64Array(16);
  private data: Buffer[] = new Array<Buffer>(16);
  private arrivals = 0;

  /** Offset of the first held segment (only when size > 0). */
  firstOffset(): number {
    return this.offset[0];
  }

  firstData(): Buffer {
    return this.data[0];
  }

  push(offset: number, data: Buffer): void {
    if (this.size === this.offset.length) this.grow();
    const seq = this.arrivals++;
    let i = this.size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.before(offset, seq, up)) break;
      this.put(i, this.offset[up], this.arrival[up], this.data[up]);
      i = up;
    }
    this.put(i, offset, seq, data);
  }

  /** Take the first segment off (its data was read through firstData). */
  pop(): void {
    const n = --this.size;
    const o = this.offset[n], a = this.arrival[n], d = this.data[n];
    this.data[n] = undefined!;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.before(this.offset[c + 1], this.arrival[c + 1], c)) c++;
      if (!this.lessThan(c, o, a)) break;
      this.put(i, this.offset[c], this.arrival[c], this.data[c]);
      i = c;
    }
    this.put(i, o, a, d);
  }

  /** Forget every held segment: their bytes, their number, and where the last of them ends. */
  drop(): { bytes: number; segments: number; end: number } {
    let bytes = 0, end = 0;
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const len = this.data[i].length;
      bytes += len;
      if (this.offset[i] + len > end) end = this.offset[i] + len;
      this.data[i] = undefined!;
    }
    this.size = 0;
    return { bytes, segments: n, end };
  }

  /** Whether (offset, seq) comes before the segment at index j. */
  private before(offset: number, seq: number, j: number): boolean {
    const o = this.offset[j];
    return offset < o || (offset === o && seq < this.arrival[j]);
  }

  /** Whether the segment at index j comes before (offset, seq). */
  private lessThan(j: number, offset: number, seq: number): boolean {
    const o = this.offset[j];
    return o < offset || (o === offset && this.arrival[j] < seq);
  }

  private put(i: number, offset: number, seq: number, data: Buffer): void {
    this.offset[i] = offset;
    this.arrival[i] = seq;
    this.data[i] = data;
  }

  private grow(): void {
    const n = this.offset.length * 2;
    const o = new Float64Array(n), a = new Float64Array(n);
    o.set(this.offset);
    a.set(this.arrival);
    this.offset = o;
    this.arrival = a;
    this.data.length = n;
  }
}

class Direction {
  started = false;
  /** Raw sequence number of the byte at stats.nextOffset. */
  expectSeq = 0;
  finSeq = -1;
  readonly pending = new HeldSegments();
  readonly stats = new DirectionStats();
}

class StreamState {
  readonly dirs = [new Direction(), new Direction()];
  buffered = 0;
  constructor(readonly id: number) {}
  /** Segments held, both directions. */
  held = 0;
}

export class Reassembler {
  private readonly consumers: StreamConsumer[] = [];
  private readonly streams = new Map<number, StreamState>();
  /** Streams holding segments, least recently added to first: the order eviction takes them in. */
  private readonly holding = new Map<number, StreamState>();
  readonly maxBufferedBytes: number;
  readonly maxHeldSegments: number;
  readonly maxTotalBufferedBytes: number;
  readonly maxTotalHeldSegments: number;
  /** Bytes and segments held over all streams. */
  totalBuffered = 0;
  totalHeld = 0;

  constructor(opts: ReassemblyOptions = {}) {
    this.maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.maxHeldSegments = Math.max(1, opts.maxHeldSegments ?? DEFAULT_MAX_HELD_SEGMENTS);
    this.maxTotalBufferedBytes = opts.maxTotalBufferedBytes ?? DEFAULT_MAX_TOTAL_BUFFERED_BYTES;
    this.maxTotalHeldSegments = Math.max(1, opts.maxTotalHeldSegments ?? DEFAULT_MAX_TOTAL_HELD_SEGMENTS);
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
      st = new StreamState(stream);
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
      this.place(d, st, s, stream, dir, offset, d.buf, d.payloadOff, d.payloadCapLen, d.payloadLen);
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
    if (s.pending.size > 0 && s.pending.firstOffset() < end) end = s.pending.firstOffset();
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
  private place(d: Dissection, st: StreamState, s: Direction, stream: number, dir: number, offset: number, buf: Buffer, off: number, capLen: number, seqLen: number): void {
    const stats = s.stats;
    for (;;) {
      const next = stats.nextOffset;
      const end = offset + seqLen;
      if (end <= next) {
        stats.retransmitted += seqLen;
        return;
      }
      if (offset <= next) {
        const skip = next - offset;
        stats.retransmitted += skip;
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
      const roomForSegment = st.held < this.maxHeldSegments;
      if (st.buffered + capLen <= this.maxBufferedBytes && roomForSegment && this.roomOverAll(d, st, capLen)) {
        this.hold(st, s, offset, buf, off, capLen);
        return;
      }
      // Over a cap: give up the oldest hole so what is held can flow, then try again.
      const target = s.pending.size > 0 ? Math.min(s.pending.firstOffset(), offset) : offset;
      if (!roomForSegment) stats.segmentCapHits++;
      stats.skipped += target - next;
      this.skipTo(d, st, s, stream, dir, target);
    }
  }

  private hold(st: StreamState, s: Direction, offset: number, buf: Buffer, off: number, len: number): void {
    const data = Buffer.allocUnsafe(len);
    buf.copy(data, 0, off, off + len);
    s.pending.push(offset, data);
    st.held++;
    st.buffered += len;
    this.totalHeld++;
    this.totalBuffered += len;
    // Most recently added to last.
    this.holding.delete(st.id);
    this.holding.set(st.id, st);
    s.stats.buffered += len;
    if (s.stats.buffered > s.stats.bufferedPeak) s.stats.bufferedPeak = s.stats.buffered;
  }

  /** Deliver held segments that are now contiguous; what they repeat counts as retransmitted. */
  private drain(d: Dissection, st: StreamState, s: Direction, stream: number, dir: number): void {
    const p = s.pending;
    while (p.size > 0 && p.firstOffset() <= s.stats.nextOffset) {
      const offset = p.firstOffset();
      const data = p.firstData();
      p.pop();
      st.held--;
      st.buffered -= data.length;
      this.totalHeld--;
      this.totalBuffered -= data.length;
      if (st.held === 0) this.holding.delete(st.id);
      s.stats.buffered -= data.length;
      const end = offset + data.length;
      if (end <= s.stats.nextOffset) {
        s.stats.retransmitted += data.length;
        continue;
      }
      const skip = s.stats.nextOffset - offset;
      s.stats.retransmitted += skip;
      this.deliver(d, s, stream, dir, data, skip, data.length - skip, s.stats.nextOffset);
    }
  }

  /**
   * Whether `len` more bytes fit under the caps over all streams, once the streams that added to what
   * they hold least recently (other than this one) have been evicted as needed. When only this stream
   * holds anything, the answer is no and it gives up its own oldest hole.
   */
  private roomOverAll(d: Dissection, st: StreamState, len: number): boolean {
    while (this.totalBuffered + len > this.maxTotalBufferedBytes || this.totalHeld >= this.maxTotalHeldSegments) {
      let victim: StreamState | null = null;
      for (const h of this.holding.values()) {
        if (h !== st) { victim = h; break; }
      }
      if (victim === null) return false;
      this.evict(d, victim);
    }
    return true;
  }

  /** Drop what a stream holds, unheard: for each direction, one gap up to the end of its held bytes. */
  private evict(d: Dissection, st: StreamState): void {
    for (let dir = 0; dir < 2; dir++) {
      const s = st.dirs[dir];
      if (s.pending.size === 0) continue;
      const { bytes, segments, end } = s.pending.drop();
      st.held -= segments;
      st.buffered -= bytes;
      this.totalHeld -= segments;
      this.totalBuffered -= bytes;
      s.stats.buffered -= bytes;
      s.stats.evictions++;
      const from = s.stats.nextOffset;
      if (end > from) {
        s.stats.skipped += end - from;
        this.advance(s, from, end);
        this.notifyGap(d, st.id, dir, from, end - from);
      }
      if (s.finSeq >= 0 && s.expectSeq === s.finSeq) s.stats.finished = true;
    }
    this.holding.delete(st.id);
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
