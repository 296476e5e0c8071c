// Collecting a PDU that spans TCP segments, once for every protocol over TCP: the table of
// conversations being collected, each direction's partial PDU in a buffer from one pool with a
// budget over all the conversations of a stage, the bytes of an over-budget PDU still to pass
// over, and what gives when a limit is reached: when the budget is spent the conversations that
// started collecting longest ago give up what they hold; when the table is full the oldest
// conversation is forgotten. Both stages that reassemble over TCP collect through it: the PDU
// framing (pdu-framing.ts, Wireshark's tcp_dissect_pdus, for protocols that say how long a PDU is)
// and TLS (src/tls/analyzer.ts, which cuts its records itself, as Wireshark's TLS desegments
// itself, so that its columns and tree keep tshark's record-by-record behaviour).

import { Dissection } from '../decode/dissection';
import { ArrivalOrder } from './arrival-order';
import { BufferPool } from './buffer-pool';
import { MAX_LISTED_SEGMENTS, ReassembledPdu, reassembledPdus } from './pdu-frame';

/**
 * Segments listed at once over every PDU being collected: beyond this a PDU's further segments are
 * counted but not listed, so that a capture of tiny segments cannot make the lists outgrow the
 * buffers' budget.
 */
const MAX_LISTED_IN_ALL = 1 << 20;
let listedInAll = 0;

/** Conversations collected at once per stage; the oldest is forgotten beyond this. */
export const MAX_CONVERSATIONS = 65536;

/** One direction of a conversation: where its bytes have got, and the PDU it is collecting. */
export class CollectingDirection implements ArrivalOrder {
  haveSeq = false;
  /** Relative sequence number of the next byte expected. */
  nextSeq = 0;
  /** Bytes of a PDU started in earlier segments. */
  pending: Buffer | null = null;
  pendingLen = 0;
  /** Total bytes of the pending PDU once known; 0 while unknown. */
  pendingNeed = 0;
  /** Bytes of an over-budget PDU still to pass over. */
  skip = 0;
  /** This side sent FIN (or the connection was reset): nothing more to collect. */
  finished = false;
  /** The pending PDU's segments: how many, and the frame and byte count of the first ones. */
  segments = 0;
  readonly segmentFrame: number[] = [];
  readonly segmentLen: number[] = [];

  /** `len` bytes of frame `frame` joined the pending PDU. */
  notePiece(frame: number, len: number): void {
    if (len <= 0) return;
    this.segments++;
    if (this.segmentFrame.length < MAX_LISTED_SEGMENTS && listedInAll < MAX_LISTED_IN_ALL) {
      this.segmentFrame.push(frame);
      this.segmentLen.push(len);
      listedInAll++;
    }
  }

  /**
   * The pending PDU starts again with bytes [off, end) of the PDU `from` this frame completed (TLS
   * read it and asked for more): its segments are those that held these bytes.
   */
  carryPieces(from: ReassembledPdu, off: number, end: number): void {
    let at = 0;
    for (let k = 0; k < from.listed && at < end; k++) {
      const lo = Math.max(at, off), hi = Math.min(at + from.segmentLen[k], end);
      if (hi > lo) this.notePiece(from.segmentFrame[k], hi - lo);
      at += from.segmentLen[k];
    }
  }

  /** What a protocol keeps about the pending PDU besides its bytes, cleared whenever the PDU goes. */
  protected clearPendingState(): void {}

  /** The pending PDU is gone (handed on or dropped); its buffer is no longer this direction's. */
  forgetPending(): void {
    this.pending = null;
    this.pendingLen = 0;
    this.pendingNeed = 0;
    listedInAll -= this.segmentFrame.length;
    this.segmentFrame.length = 0;
    this.segmentLen.length = 0;
    this.segments = 0;
    this.clearPendingState();
  }
}

export interface CollectingConversation {
  readonly dirs: readonly CollectingDirection[];
  /**
   * Give up any other buffer of the pool the protocol holds for the conversation (TLS: a handshake
   * message collected across records); returns the bytes given up. Called when the budget is spent.
   */
  giveUpHeld?(pool: BufferPool): number;
}

/** The counters a stage reports, kept by the collector. */
export interface CollectingStats {
  conversations: number;
  /** Bytes of PDUs passed over because a PDU was too long or the budget was spent. */
  bytesDropped: number;
  /** Bytes lost to gaps (segments not captured) while a PDU was collected. */
  bytesLost: number;
}

export class PduCollector<C extends CollectingConversation> {
  readonly pool: BufferPool;
  private readonly convs = new Map<number, C>();
  /** Conversations holding buffers, oldest first (the order reclaim gives them up in). */
  private readonly collecting = new Set<C>();
  /** Buffers the current frame's PDUs may point into; given back when the next frame starts. */
  private readonly retired: Buffer[] = [];

  /** `maxPdu`: the largest buffer one PDU may grow to. */
  constructor(budget: number, readonly stats: CollectingStats, private readonly maxPdu: number) {
    this.pool = new BufferPool(budget);
  }

  /** A new frame: what the last one's PDUs pointed into goes back to the pool. */
  beginFrame(): void {
    if (this.retired.length === 0) return;
    for (let i = 0; i < this.retired.length; i++) this.pool.release(this.retired[i]);
    this.retired.length = 0;
  }

  conversation(stream: number): C | undefined {
    return this.convs.get(stream);
  }

  /** Start collecting for a conversation; beyond MAX_CONVERSATIONS the oldest is forgotten. */
  add(stream: number, conv: C): void {
    if (this.convs.size >= MAX_CONVERSATIONS) {
      for (const [k, c] of this.convs) {
        this.release(c);
        this.convs.delete(k);
        this.collecting.delete(c);
        break;
      }
    }
    this.convs.set(stream, conv);
    this.stats.conversations++;
  }

  /** Both sides ended: the conversation is forgotten (a new SYN on its stream is a new one anyway). */
  end(stream: number, conv: C): void {
    this.convs.delete(stream);
    this.collecting.delete(conv);
  }

  /** A buffer of at least `n` bytes for `conv`, from the pool or given up by others; null when none. */
  acquire(conv: C, n: number): Buffer | null {
    const b = this.pool.acquire(n) ?? this.reclaim(conv, n);
    if (b !== null) this.collecting.add(conv);
    return b;
  }

  /** `b` stays valid until the next frame starts (a PDU handed on in this frame points into it). */
  retire(b: Buffer): void {
    this.retired.push(b);
  }

  /**
   * Room in `dir.pending` for `n` bytes, keeping what it holds; false when the PDU is too long or
   * the budget cannot hold it. Grows by doubling so that a PDU collected segment by segment is
   * copied O(log n) times.
   */
  ensure(conv: C, dir: CollectingDirection, n: number): boolean {
    if (n > this.maxPdu) return false;
    if (dir.pending !== null && dir.pending.length >= n) return true;
    const want = dir.pending !== null ? Math.min(this.maxPdu, Math.max(n, dir.pending.length * 2)) : n;
    const nb = this.acquire(conv, want);
    if (nb === null) return false;
    if (dir.pending !== null) {
      dir.pending.copy(nb, 0, 0, dir.pendingLen);
      this.pool.release(dir.pending);
    }
    dir.pending = nb;
    return true;
  }

  /**
   * Hand the pending PDU over as this frame's, recording its segments as the PDU the frame in `d`
   * completed; its buffer is given back when the next frame starts.
   */
  take(dir: CollectingDirection, d: Dissection): Buffer {
    const b = dir.pending!;
    this.retired.push(b);
    // A PDU whose bytes all came in this frame (a response read to the connection's end, ended in
    // the segment that began it) was never reassembled in tshark's eyes.
    if (dir.segments < 2) {
      dir.forgetPending();
      return b;
    }
    const r = reassembledPdus.of(d);
    r.frame = d.number;
    r.buf = b;
    r.len = dir.pendingLen;
    r.segments = dir.segments;
    r.listed = dir.segmentFrame.length;
    for (let k = 0; k < r.listed; k++) {
      r.segmentFrame[k] = dir.segmentFrame[k];
      r.segmentLen[k] = dir.segmentLen[k];
    }
    dir.forgetPending();
    return b;
  }

  /** Drop what `dir` is collecting. */
  drop(dir: CollectingDirection): void {
    if (dir.pending !== null) this.pool.release(dir.pending);
    dir.forgetPending();
  }

  /**
   * `bytes` of the direction will never be handed on (a gap, a segment not dissected, the end of
   * the connection): the PDU being collected cannot complete. Counted as lost when something was
   * being collected (`held`: the protocol holds more of it, such as a TLS handshake message).
   */
  lose(dir: CollectingDirection, bytes: number, held = false): void {
    if (dir.pending !== null || dir.skip > 0 || held) this.stats.bytesLost += bytes;
    this.drop(dir);
    dir.skip = 0;
  }

  private release(conv: C): void {
    for (const dir of conv.dirs) this.drop(dir);
    conv.giveUpHeld?.(this.pool);
  }

  /**
   * The budget is spent: the conversations that started collecting longest ago (a connection that
   * stopped mid-PDU without FIN keeps its buffer until then) give up what they hold, counted as
   * dropped, and the pool is asked again. A quarter of the budget is freed at once so that this
   * stays rare.
   */
  private reclaim(current: C, n: number): Buffer | null {
    const goal = Math.max(n, this.pool.budget / 4);
    const before = this.pool.inUse;
    for (const c of this.collecting) {
      if (c === current) continue;
      for (const dir of c.dirs) {
        this.stats.bytesDropped += dir.pendingLen;
        this.drop(dir);
        dir.skip = 0;
      }
      this.stats.bytesDropped += c.giveUpHeld?.(this.pool) ?? 0;
      this.collecting.delete(c);
      if (before - this.pool.inUse >= goal) break;
    }
    return this.pool.acquire(n);
  }
}
