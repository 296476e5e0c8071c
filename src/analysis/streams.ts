// TCP conversation tracking, after Wireshark 4.0's packet-tcp.c, so that what tcpwatch shows agrees
// with tshark: tcp.stream numbers in order of first packet (a new SYN with another initial sequence
// number on a known 4-tuple starts a new stream, "TCP Port numbers reused"), relative sequence and
// acknowledgement numbers, window scaling, the tcp.analysis.* findings (retransmissions, duplicate
// ACKs, zero windows, keep-alives, lost and ACKed-unseen segments), the ACK round-trip time, the
// role of each segment in its connection (handshake, data, teardown) and the connection's state.
//
// Hot path: conversations are found through a Map keyed by a 30-bit hash of the addresses and ports
// read straight from the frame buffer, then compared byte by byte; nothing is allocated per packet.
// Per-conversation state (one object per connection) is made once, when a connection is first seen;
// unacknowledged segments live in one pool for all connections (SegmentPool).
//
// Sequence analysis works on raw 32-bit sequence numbers with wrap-around comparisons (RFC 9293
// §3.4), and, as in Wireshark, 0 stands for "not seen yet" in nextSeq/lastAck/maxSeqToBeAcked.

import { Dissection, Proto } from '../decode/dissection';
import { TH_ACK, TH_AE, TH_CWR, TH_ECE, TH_FIN, TH_RST, TH_SYN, TCP_MIN_HEADER_LEN, TCPOPT_EOL, TCPOPT_NOP } from '../decode/tcp';
import { TcpAnalysisFlag as AF, TcpRole, TcpState } from './tcp-analysis';
import { Reassembler, StreamConsumer, globalStreamConsumers, ReassemblyOptions } from './reassembly';

/** Wireshark's TCP_MAX_UNACKED_SEGMENTS: beyond this many unacknowledged segments, new ones are not tracked. */
const MAX_UNACKED_SEGMENTS = 1000;
const SEG_FIELDS = 5;
/** Bytes per conversation in the address pool: A's and B's address, 16 each (IPv4 uses 4). */
const ADDR_SLOT = 32;
/** A retransmission within 20 ms of the last duplicate ACK is a fast retransmission (packet-tcp.c). */
const FAST_RETRANSMISSION_NS = 20_000_000;
/** Out-of-order threshold before the handshake's RTT is known (packet-tcp.c: 3 ms). */
const DEFAULT_OOO_THRESHOLD_NS = 3_000_000;
/** RFC 7323 §2.3: a shift count above 14 is treated as 14. */
const MAX_WSCALE_SHIFT = 14;
/** Accurate ECN option kinds (RFC 9768 §3.2.3, AccECN0 and AccECN1). */
const TCPOPT_ACCECN0 = 172;
const TCPOPT_ACCECN1 = 174;
const TCPOPT_EXPERIMENT1 = 253;
const TCPOPT_EXPERIMENT2 = 254;
const EXID_ACCECN0 = 0xacc0;
const EXID_ACCECN1 = 0xacc1;
/** SOCKS (RFC 1928, and SOCKS4) listens on 1080. */
const SOCKS_PORT = 1080;

const WS_UNKNOWN = -1;
const WS_NONE = -2;

/** a > b in sequence space (Wireshark's GT_SEQ). */
function gtSeq(a: number, b: number): boolean { return ((b - a) | 0) < 0; }
/** a < b in sequence space (LT_SEQ). */
function ltSeq(a: number, b: number): boolean { return ((a - b) | 0) < 0; }
/** a <= b in sequence space (LE_SEQ). */
function leSeq(a: number, b: number): boolean { return ((b - a) | 0) >= 0; }

/** One direction of a connection: what its sender has sent and what it has acknowledged. */
export class TcpFlow {
  baseSeq = 0;
  baseSet = false;
  sawSyn = false;
  /** Window scale shift from this side's SYN; -1 unknown, -2 none in use. */
  winScale = WS_UNKNOWN;
  /** Last raw window this side advertised (Wireshark starts it at UINT32_MAX). */
  window = 0xffffffff;
  isFirstAck = false;

  // ---- sequence analysis, raw numbers ----
  nextSeq = 0;
  nextSeqFrame = 0;
  nextSeqSec = 0;
  nextSeqNsec = 0;
  lastAck = 0;
  lastAckSec = 0;
  lastAckNsec = 0;
  dupAckNum = 0;
  lastNonDupAck = 0;
  maxSeqToBeAcked = 0;
  lastSegmentFlags = 0;
  lastAckLen = 0;
  /** Unacknowledged segments, oldest first. */
  segCount = 0;
  /**
   * Where they are in the table's SegmentPool (SEG_FIELDS numbers per segment: seq, next seq,
   * frame, seconds, nanoseconds), -1 while none is outstanding; room for 4 << segClass segments.
   */
  segOff = -1;
  segClass = 0;

  // ---- connection state ----
  finSent = false;
  /** Raw sequence number just after this side's FIN. */
  finNext = 0;
  finAcked = false;

  // ---- conversation statistics ----
  packets = 0;
  /** Frame bytes (frame.len), as Wireshark's conversation table counts them. */
  bytes = 0;
  payloadBytes = 0;

  addSegment(pool: SegmentPool, seq: number, next: number, frame: number, sec: number, nsec: number): void {
    const n = this.segCount;
    if (this.segOff < 0) {
      this.segClass = 0;
      this.segOff = pool.take(0);
    } else if (n === SEG_MIN << this.segClass) {
      const off = pool.take(this.segClass + 1);
      pool.a.copyWithin(off, this.segOff, this.segOff + n * SEG_FIELDS);
      pool.give(this.segOff, this.segClass);
      this.segOff = off;
      this.segClass++;
    }
    const a = pool.a;
    const o = this.segOff + n * SEG_FIELDS;
    a[o] = seq;
    a[o + 1] = next;
    a[o + 2] = frame;
    a[o + 3] = sec;
    a[o + 4] = nsec;
    this.segCount = n + 1;
  }

  /** All its segments were acknowledged: the room goes back to the pool. */
  releaseSegments(pool: SegmentPool): void {
    if (this.segOff >= 0) pool.give(this.segOff, this.segClass);
    this.segOff = -1;
    this.segCount = 0;
  }
}

/** Room for a flow's unacknowledged segments, in blocks of SEG_MIN << class segments. */
const SEG_MIN = 4;

/**
 * The unacknowledged segments of every flow in one Float64Array: a flow takes a block when it sends
 * data and gives it back once everything is acknowledged, so a capture of many short connections
 * needs a few blocks, not a typed array per connection (which cost more to make than the segments
 * they held, and stayed with the connection for good).
 */
export class SegmentPool {
  a = new Float64Array(64 * SEG_MIN * SEG_FIELDS);
  private used = 0;
  private readonly free: number[][] = [];

  /** Offset of a block of SEG_MIN << cls segments; `a` may be replaced (grown) by this call. */
  take(cls: number): number {
    const list = this.free[cls];
    if (list !== undefined && list.length > 0) return list.pop()!;
    const size = (SEG_MIN << cls) * SEG_FIELDS;
    if (this.used + size > this.a.length) {
      const bigger = new Float64Array(Math.max(this.a.length * 2, this.used + size));
      bigger.set(this.a.subarray(0, this.used));
      this.a = bigger;
    }
    const off = this.used;
    this.used += size;
    return off;
  }

  give(off: number, cls: number): void {
    let list = this.free[cls];
    if (list === undefined) list = this.free[cls] = [];
    list.push(off);
  }
}

/** One TCP connection (Wireshark's TCP conversation): both directions and what is known about them. */
export class TcpConversation {
  /** Side that opened the connection (sent the SYN, or the first segment seen) and the other side. */
  readonly client = new TcpFlow();
  readonly server = new TcpFlow();
  /** Endpoints: A is the client's. The addresses live in the table's pool (TcpStreamTable.address). */
  portA = 0;
  portB = 0;
  /** 4 or 6. */
  ipVersion = 4;
  /** Next conversation in the same hash bucket. */
  nextInBucket: TcpConversation | null = null;
  /** Capture time of the first and last segment. */
  firstSec = 0;
  firstNsec = 0;
  lastSec = 0;
  lastNsec = 0;
  firstFrame = 0;
  lastFrame = 0;
  /** TcpState bits. */
  state = 0;
  teardownSteps = 0;
  /** Time of the most recent SYN and the handshake RTT (Wireshark's ts_mru_syn, ts_first_rtt). */
  mruSynSec = 0;
  mruSynNsec = 0;
  firstRttNs = 0;
  hadAccEcnSyn = false;
  hadAccEcnSynAck = false;
  hadAccEcnOption = false;
  socksSeen = false;

  constructor(readonly index: number) {}

  get packets(): number { return this.client.packets + this.server.packets; }
}

/**
 * The TCP analysis stage of the pipeline: finds each segment's conversation and fills d.tcp.
 * Also feeds stream reassembly (src/analysis/reassembly.ts) when a consumer is registered.
 */
export class TcpStreamTable {
  private readonly buckets = new Map<number, TcpConversation>();
  /** All conversations, by stream index (a reused 4-tuple has one entry per connection). */
  readonly conversations: TcpConversation[] = [];
  readonly reassembly: Reassembler;
  /** Stream indexes also count conversations Wireshark opens for proxied (SOCKS) connections. */
  private nextIndex = 0;
  /** Both addresses of every conversation, ADDR_SLOT bytes per stream index: one allocation for all. */
  private addrPool = new Uint8Array(ADDR_SLOT * 64);
  private readonly segments = new SegmentPool();

  constructor(opts: ReassemblyOptions = {}) {
    this.reassembly = new Reassembler(opts);
    for (const c of globalStreamConsumers) this.reassembly.addConsumer(c);
  }

  /** Number of tcp.stream indexes handed out. */
  get count(): number { return this.nextIndex; }

  addConsumer(c: StreamConsumer): void {
    this.reassembly.addConsumer(c);
  }

  /** Fill d.tcp for a decoded TCP segment. */
  analyze(d: Dissection): void {
    if (d.tcpOff < 0 || d.netOff < 0) return;
    const buf = d.buf;
    // The addresses are those of the IP header that carries this TCP header: for a header quoted by
    // an ICMP error, the quoted (innermost) one, not d.netOff's.
    let ipOff = d.netOff;
    let version = d.netVersion;
    if (d.inIcmpError) {
      for (let i = d.stackLen - 1; i >= 0; i--) {
        const p = d.stack[i];
        if (p === Proto.IPv4 || p === Proto.IPv6) { ipOff = d.stackOff[i]; version = p === Proto.IPv6 ? 6 : 4; break; }
      }
    }
    const v6 = version === 6;
    const srcOff = ipOff + (v6 ? 8 : 12);
    const dstOff = ipOff + (v6 ? 24 : 16);
    const alen = v6 ? 16 : 4;
    const sport = d.srcPort, dport = d.dstPort;
    const key = (endpointHash(buf, srcOff, alen, sport) + endpointHash(buf, dstOff, alen, dport)) & 0x3fffffff;
    const flags = d.tcpFlags;
    const seq = d.seqRaw;

    const pool = this.addrPool;
    let conv = this.buckets.get(key) ?? null;
    let fromA = false;
    while (conv !== null) {
      if (conv.ipVersion === version) {
        if (conv.portA === sport && conv.portB === dport && same(pool, conv.index * ADDR_SLOT, buf, srcOff, alen) && same(pool, conv.index * ADDR_SLOT + 16, buf, dstOff, alen)) { fromA = true; break; }
        if (conv.portA === dport && conv.portB === sport && same(pool, conv.index * ADDR_SLOT, buf, dstOff, alen) && same(pool, conv.index * ADDR_SLOT + 16, buf, srcOff, alen)) { fromA = false; break; }
      }
      conv = conv.nextInBucket;
    }
    let reused = false;
    if (conv === null) {
      conv = this.create(d, key, version, srcOff, dstOff, alen);
      fromA = conv.portA === sport && same(this.addrPool, conv.index * ADDR_SLOT, buf, srcOff, alen);
    } else if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) {
      // Wireshark 4.0: a SYN whose sequence number differs from the base of the conversation found
      // starts a new conversation on the same ports; the same number is a retransmitted SYN.
      const fwd = fromA ? conv.client : conv.server;
      if (fwd.baseSet && seq !== fwd.baseSeq) {
        conv = this.create(d, key, version, srcOff, dstOff, alen);
        fromA = true;
        reused = true;
      }
    } else if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      // A SYN/ACK with another initial sequence number: Wireshark 4.0 keeps the stream but counts
      // that side from the new number.
      const fwd = fromA ? conv.client : conv.server;
      if (fwd.baseSet && seq !== fwd.baseSeq && !d.inIcmpError) {
        fwd.baseSeq = seq;
        reused = true;
      }
    }
    const t = d.tcp;
    t.stream = conv.index;
    if (reused) t.flags |= AF.PortsReused;
    // A header quoted by an ICMP error belongs to the stream but is not a segment of it, and the
    // length of a segment in an IP fragment is not known: Wireshark shows their raw numbers and
    // analyses nothing.
    if (d.inIcmpError || d.fragmented) {
      t.direction = fromA ? 0 : 1;
      t.relSeq = seq;
      t.relAck = d.ackRaw;
      t.hasAck = (flags & TH_ACK) !== 0;
      return;
    }
    this.segment(d, conv, fromA);
  }

  /** Address of side A (the client) or B of a conversation: 4 or 16 bytes, a copy. */
  address(conv: TcpConversation, sideB: boolean): Uint8Array {
    const o = conv.index * ADDR_SLOT + (sideB ? 16 : 0);
    return this.addrPool.slice(o, o + (conv.ipVersion === 6 ? 16 : 4));
  }

  private storeAddresses(index: number, buf: Buffer, aOff: number, bOff: number, alen: number): void {
    const o = index * ADDR_SLOT;
    if (o + ADDR_SLOT > this.addrPool.length) {
      const bigger = new Uint8Array(Math.max(this.addrPool.length * 2, o + ADDR_SLOT));
      bigger.set(this.addrPool);
      this.addrPool = bigger;
    }
    for (let i = 0; i < alen; i++) {
      this.addrPool[o + i] = buf[aOff + i];
      this.addrPool[o + 16 + i] = buf[bOff + i];
    }
  }

  private create(d: Dissection, key: number, version: number, srcOff: number, dstOff: number, alen: number): TcpConversation {
    const conv = new TcpConversation(this.nextIndex++);
    conv.ipVersion = version;
    // The opener is the client: the sender of a SYN or of the first segment seen, the receiver of a
    // SYN/ACK seen first.
    const synAckFirst = (d.tcpFlags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK);
    if (synAckFirst) {
      this.storeAddresses(conv.index, d.buf, dstOff, srcOff, alen);
      conv.portA = d.dstPort;
      conv.portB = d.srcPort;
    } else {
      this.storeAddresses(conv.index, d.buf, srcOff, dstOff, alen);
      conv.portA = d.srcPort;
      conv.portB = d.dstPort;
    }
    conv.firstSec = d.tsSec;
    conv.firstNsec = d.tsNsec;
    conv.firstFrame = d.number;
    // The newest conversation on a 4-tuple is the one later segments belong to: it heads the bucket.
    conv.nextInBucket = this.buckets.get(key) ?? null;
    this.buckets.set(key, conv);
    this.conversations.push(conv);
    return conv;
  }

  private segment(d: Dissection, conv: TcpConversation, fromA: boolean): void {
    const fwd = fromA ? conv.client : conv.server;
    const rev = fromA ? conv.server : conv.client;
    const t = d.tcp;
    const flags = d.tcpFlags;
    const seq = d.seqRaw, ack = d.ackRaw;
    const seglen = d.payloadLen;
    t.direction = fromA ? 0 : 1;

    if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) {
      conv.hadAccEcnSyn = (flags & (TH_AE | TH_CWR | TH_ECE)) === (TH_AE | TH_CWR | TH_ECE);
    } else if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      conv.hadAccEcnSynAck = (flags & (TH_AE | TH_CWR)) === TH_CWR || (flags & (TH_AE | TH_ECE)) === TH_AE;
    }

    // Relative numbers: each side counts from its SYN, or from one before its first segment when
    // the SYN was not captured; the peer's base comes from the first ACK when its SYN is missing.
    if (!fwd.baseSet) {
      if (flags & TH_SYN) {
        fwd.baseSeq = seq;
        fwd.sawSyn = true;
      } else {
        fwd.baseSeq = (seq - 1) >>> 0;
      }
      fwd.baseSet = true;
    }
    if (!rev.baseSet && (flags & TH_ACK)) {
      rev.baseSeq = (ack - 1) >>> 0;
      rev.baseSet = true;
    }
    t.relSeq = (seq - fwd.baseSeq) >>> 0;
    t.hasAck = (flags & TH_ACK) !== 0;
    t.relAck = t.hasAck ? (ack - rev.baseSeq) >>> 0 : ack;
    t.nxtSeq = (t.relSeq + seglen + (flags & (TH_SYN | TH_FIN) ? 1 : 0)) >>> 0;
    if (rev.baseSet) t.ackBase = rev.baseSeq;

    const window = d.window;
    analyzeSequence(d, conv, fwd, rev, seq, ack, seglen, flags, window, this.segments);

    if (flags & TH_SYN) {
      if (!(flags & TH_ACK)) {
        conv.mruSynSec = d.tsSec;
        conv.mruSynNsec = d.tsNsec;
      }
      fwd.isFirstAck = true;
    }
    if ((flags & (TH_SYN | TH_ACK)) === TH_ACK) {
      if ((conv.mruSynSec !== 0 || conv.mruSynNsec !== 0) && conv.firstRttNs === 0) {
        conv.firstRttNs = (d.tsSec - conv.mruSynSec) * 1e9 + (d.tsNsec - conv.mruSynNsec);
      }
      fwd.isFirstAck = false;
    }

    // The window: scaled once both SYNs told the shift counts (RFC 7323 §2.2); SYNs never are.
    if (!(flags & TH_SYN)) {
      // The shift is at most 14 (RFC 7323 §2.3), so the product stays below 2^31.
      t.windowSize = fwd.winScale >= 0 ? window * (1 << fwd.winScale) : window;
    } else {
      t.windowSize = window;
      scanSynOptions(d, conv, fwd, rev);
    }
    if (!conv.hadAccEcnOption && d.tcpHdrLen > TCP_MIN_HEADER_LEN && !(flags & TH_SYN)) conv.hadAccEcnOption = hasAccEcnOption(d);
    t.useAce = (flags & TH_SYN) === 0 && ((conv.hadAccEcnSyn && conv.hadAccEcnSynAck) || conv.hadAccEcnOption);

    this.track(d, conv, fwd, rev, fromA);
    if (seglen > 0 && d.payloadCapLen > 0 && conv.portB === SOCKS_PORT && fromA && !conv.socksSeen) this.socks(d, conv);
    if (this.reassembly.active) {
      if (seglen > 0 || (flags & (TH_SYN | TH_FIN | TH_RST))) this.reassembly.segment(d, conv.index, t.direction, fwd.baseSeq, fwd.sawSyn);
      if (flags & TH_ACK) this.reassembly.acked(d, conv.index, 1 - t.direction, ack);
    }
  }

  /** Connection state, the segment's role, and the conversation's statistics. */
  private track(d: Dissection, conv: TcpConversation, fwd: TcpFlow, rev: TcpFlow, fromA: boolean): void {
    const t = d.tcp;
    const flags = d.tcpFlags;
    fwd.packets++;
    fwd.bytes += d.origLen;
    fwd.payloadBytes += d.payloadLen;
    conv.lastSec = d.tsSec;
    conv.lastNsec = d.tsNsec;
    conv.lastFrame = d.number;
    if (d.payloadLen > 0) conv.state |= TcpState.Data;
    let ackedFin = false;
    if ((flags & TH_ACK) && rev.finSent && !rev.finAcked && !gtSeq(rev.finNext, d.ackRaw)) {
      rev.finAcked = true;
      ackedFin = true;
    }
    if (flags & TH_RST) {
      t.role = TcpRole.Reset;
      conv.state |= TcpState.Reset;
    } else if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) {
      t.role = TcpRole.HandshakeSyn;
      conv.state |= TcpState.SynSeen;
    } else if (flags & TH_SYN) {
      t.role = TcpRole.HandshakeSynAck;
      conv.state |= TcpState.SynAckSeen;
    } else if (flags & TH_FIN) {
      t.role = TcpRole.Fin;
      t.teardownStep = ++conv.teardownSteps;
      if (!fwd.finSent) {
        fwd.finSent = true;
        fwd.finNext = (d.seqRaw + d.payloadLen + 1) >>> 0;
      }
      conv.state |= fromA ? TcpState.FinFromClient : TcpState.FinFromServer;
    } else if (fromA && (conv.state & (TcpState.SynAckSeen | TcpState.Established)) === TcpState.SynAckSeen &&
      conv.server.sawSyn && d.ackRaw === ((conv.server.baseSeq + 1) >>> 0)) {
      t.role = TcpRole.HandshakeAck;
      conv.state |= TcpState.Established;
    } else if (ackedFin && d.payloadLen === 0) {
      t.role = TcpRole.FinAck;
      t.teardownStep = ++conv.teardownSteps;
    } else {
      t.role = d.payloadLen > 0 ? TcpRole.Data : TcpRole.Ack;
    }
    if (conv.client.finAcked && conv.server.finAcked) conv.state |= TcpState.Closed;
    t.state = conv.state;
  }

  /**
   * Wireshark's SOCKS dissector opens a TCP conversation for the proxied connection when the client
   * asks for one, and that conversation takes a tcp.stream index; so does tcpwatch, to keep the same
   * numbering.
   */
  private socks(d: Dissection, conv: TcpConversation): void {
    const p = d.payloadOff, b = d.buf;
    // SOCKS4 CONNECT (version 4, command 1) or SOCKS5 CONNECT request (version 5, command 1, reserved 0).
    if (d.payloadCapLen >= 8 && b[p] === 4 && b[p + 1] === 1) conv.socksSeen = true;
    else if (d.payloadCapLen >= 7 && b[p] === 5 && b[p + 1] === 1 && b[p + 2] === 0) conv.socksSeen = true;
    if (conv.socksSeen) this.nextIndex++;
  }
}

/** The SYN's options: window scale (with Wireshark's check that both sides offered it) and AccECN. */
function scanSynOptions(d: Dissection, conv: TcpConversation, fwd: TcpFlow, rev: TcpFlow): void {
  if (d.optWscale >= 0) fwd.winScale = Math.min(d.optWscale, MAX_WSCALE_SHIFT);
  if (hasAccEcnOption(d)) conv.hadAccEcnOption = true;
  const isSynAck = (d.tcpFlags & TH_ACK) !== 0;
  if (fwd.winScale === WS_UNKNOWN) {
    // No scale option from this side: neither side scales (RFC 7323 §2.2).
    fwd.winScale = WS_NONE;
    rev.winScale = WS_NONE;
  } else if (isSynAck && rev.winScale === WS_NONE) {
    fwd.winScale = WS_NONE;
  }
}

function hasAccEcnOption(d: Dissection): boolean {
  const buf = d.buf;
  let p = d.tcpOff + TCP_MIN_HEADER_LEN;
  const end = Math.min(d.tcpOff + d.tcpHdrLen, d.frameEnd);
  while (p < end) {
    const kind = buf[p];
    if (kind === TCPOPT_EOL) return false;
    if (kind === TCPOPT_NOP) { p++; continue; }
    if (kind === TCPOPT_ACCECN0 || kind === TCPOPT_ACCECN1) return true;
    if (end - p < 2) return false;
    const len = buf[p + 1];
    if (len < 2) return false;
    // RFC 6994 experimental option with AccECN's experiment IDs.
    if ((kind === TCPOPT_EXPERIMENT1 || kind === TCPOPT_EXPERIMENT2) && len >= 4 && p + 4 <= end) {
      const exid = buf.readUInt16BE(p + 2);
      if (exid === EXID_ACCECN0 || exid === EXID_ACCECN1) return true;
    }
    p += len;
  }
  return false;
}

/**
 * Wireshark 4.0's tcp_analyze_sequence_number, on raw sequence numbers: sets d.tcp.flags and the
 * duplicate-ACK and RTT results, and moves the flows' state on.
 */
function analyzeSequence(d: Dissection, conv: TcpConversation, fwd: TcpFlow, rev: TcpFlow, seq: number, ack: number, seglen: number, flags: number, window: number, pool: SegmentPool): void {
  const t = d.tcp;
  const frame = d.number;
  const sec = d.tsSec, nsec = d.tsNsec;
  let f = t.flags;
  const SFR = TH_SYN | TH_FIN | TH_RST;

  // Zero window probe: one byte at the next expected sequence number into a closed window. The
  // checks up to the duplicate ACK do not apply to it.
  if (seglen === 1 && seq === fwd.nextSeq && rev.window === 0) {
    f |= AF.ZeroWindowProbe;
  } else {
    if (window === 0 && (flags & SFR) === 0) f |= AF.ZeroWindow;
    // Lost segment: this one starts beyond everything seen so far.
    if (fwd.nextSeq !== 0 && gtSeq(seq, fwd.nextSeq) && (flags & TH_RST) === 0) f |= AF.LostSegment;
    // Keep-alive: 0 or 1 byte, one before the next expected sequence number.
    if ((seglen === 0 || seglen === 1) && seq === ((fwd.nextSeq - 1) >>> 0) && (flags & SFR) === 0) f |= AF.KeepAlive;
    // Window update: same seq/ack as before, a new non-zero window.
    if (seglen === 0 && window !== 0 && window !== fwd.window && seq === fwd.nextSeq && ack === fwd.lastAck && (flags & SFR) === 0) f |= AF.WindowUpdate;
    // Window full: the data reaches the right edge of the receiver's advertised window.
    if (seglen > 0 && rev.winScale !== WS_UNKNOWN && (flags & SFR) === 0) {
      const shift = rev.isFirstAck ? 0 : (rev.winScale === WS_NONE ? 0 : rev.winScale);
      if (((seq + seglen) >>> 0) === ((rev.lastAck + ((rev.window << shift) >>> 0)) >>> 0)) f |= AF.WindowFull;
    }
    // The same empty segment again: a keep-alive's ACK, a zero window probe's ACK, or a duplicate ACK.
    const repeated = seglen === 0 && window === fwd.window && seq === fwd.nextSeq && ack === fwd.lastAck && (flags & SFR) === 0;
    if (repeated && window !== 0 && (rev.lastSegmentFlags & AF.KeepAlive)) {
      f |= AF.KeepAliveAck;
    } else if (repeated && window === 0 && (rev.lastSegmentFlags & AF.ZeroWindowProbe)) {
      f |= AF.ZeroWindowProbeAck;
    } else if (repeated && window !== 0) {
      // -1 marks a direction whose ACKed-unseen report was already made (see below).
      fwd.dupAckNum = fwd.dupAckNum === -1 ? 1 : fwd.dupAckNum + 1;
      f |= AF.DuplicateAck;
      t.duplicateAckNum = fwd.dupAckNum;
      t.dupAckOf = fwd.lastNonDupAck;
    }
  }
  if (ack !== fwd.lastAck) {
    fwd.lastNonDupAck = frame;
    fwd.dupAckNum = 0;
  }

  // ACKed unseen segment: this acknowledges more than the peer was seen to send. Reported once:
  // the mark moves to what the peer sent, and while the peer sends only bare ACKs the report is
  // not repeated.
  if (rev.maxSeqToBeAcked !== 0 && gtSeq(ack, rev.maxSeqToBeAcked) && (flags & TH_ACK)) {
    if (ltSeq(rev.maxSeqToBeAcked, rev.nextSeq)) {
      rev.maxSeqToBeAcked = rev.nextSeq;
      f |= AF.AckedUnseen;
    } else {
      if (rev.dupAckNum === 0) f |= AF.AckedUnseen;
      rev.dupAckNum = -1;
    }
  }

  // Retransmission, fast retransmission, spurious retransmission or out-of-order: a segment with
  // data (or SYN/FIN) that does not advance the sequence number.
  if ((seglen > 0 || (flags & (TH_SYN | TH_FIN))) && (f & AF.KeepAlive) === 0) {
    let seqNotAdvanced = fwd.nextSeq !== 0 && ltSeq(seq, fwd.nextSeq);
    // More than one byte right after a possible zero window probe adds new data.
    if (seglen > 1 && ((fwd.nextSeq - 1) >>> 0) === seq) seqNotAdvanced = false;
    const synFin = flags & (TH_SYN | TH_FIN) ? 1 : 0;
    if (seglen > 0 && rev.lastAck !== 0 && leSeq((seq + seglen) >>> 0, rev.lastAck)) {
      // Everything in it was already acknowledged.
      f |= AF.SpuriousRetransmission;
    } else if (seqNotAdvanced && rev.dupAckNum >= 2 && rev.lastAck === seq &&
      nsSince(sec, nsec, rev.lastAckSec, rev.lastAckNsec) < FAST_RETRANSMISSION_NS) {
      // After two or more duplicate ACKs asking for it, within 20 ms of the last.
      f |= AF.FastRetransmission;
    } else if (seqNotAdvanced && nsSince(sec, nsec, fwd.nextSeqSec, fwd.nextSeqNsec) < (conv.firstRttNs > 0 ? conv.firstRttNs : DEFAULT_OOO_THRESHOLD_NS) &&
      (fwd.nextSeq !== ((seq + seglen + synFin) >>> 0) || fwd.lastAckLen === 0)) {
      // Soon after the highest segment (within the handshake RTT), and not a plain repeat of the
      // last one, or closing a series of reordered segments that a bare ACK preceded (Wireshark
      // issue 17214).
      f |= AF.OutOfOrder;
    } else if (seqNotAdvanced) {
      f |= AF.Retransmission;
    }
  }

  let nextSeq = (seq + seglen) >>> 0;
  if ((seglen > 0 || (flags & (TH_SYN | TH_FIN))) && fwd.segCount < MAX_UNACKED_SEGMENTS) {
    if (flags & (TH_SYN | TH_FIN)) nextSeq = (nextSeq + 1) >>> 0;
    fwd.addSegment(pool, seq, nextSeq, frame, sec, nsec);
  }
  // Length of the last segment that moved the highest sequence number (0 = a bare ACK).
  if (fwd.nextSeq === 0 || gtSeq(nextSeq, (fwd.nextSeq + (flags & (TH_SYN | TH_FIN) ? 1 : 0)) >>> 0)) fwd.lastAckLen = seglen;
  if ((gtSeq(nextSeq, fwd.nextSeq) || fwd.nextSeq === 0) && (f & AF.ZeroWindowProbe) === 0) {
    fwd.nextSeq = nextSeq;
    fwd.nextSeqFrame = frame;
    fwd.nextSeqSec = sec;
    fwd.nextSeqNsec = nsec;
  }
  if ((seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) && (f & AF.ZeroWindowProbe) === 0) {
    fwd.maxSeqToBeAcked = fwd.nextSeq;
  }
  fwd.window = window;
  fwd.lastAck = ack;
  fwd.lastAckSec = sec;
  fwd.lastAckNsec = nsec;
  fwd.lastSegmentFlags = f;

  // Drop the peer's segments this acknowledges; an exact match gives the ACK's round-trip time
  // (the oldest such segment wins, as in Wireshark's newest-first list).
  const n = rev.segCount;
  if (n > 0) {
    const a = pool.a, base = rev.segOff;
    let kept = 0;
    let acked = -1;
    // Walk newest first, as Wireshark's list: a partial acknowledgement trims a segment's start.
    for (let o = base + (n - 1) * SEG_FIELDS; o >= base; o -= SEG_FIELDS) {
      if (ack === a[o + 1]) { acked = o; continue; }
      if (gtSeq(ack, a[o]) && leSeq(ack, a[o + 1])) a[o] = ack;
    }
    if (acked >= 0) {
      t.acksFrame = a[acked + 2];
      t.ackRtt = (sec - a[acked + 3]) + (nsec - a[acked + 4]) / 1e9;
    }
    // Keep, in order, the segments that end beyond this acknowledgement.
    for (let i = 0; i < n; i++) {
      const o = base + i * SEG_FIELDS;
      if (ack !== a[o + 1] && gtSeq(a[o + 1], ack)) {
        if (kept !== i) a.copyWithin(base + kept * SEG_FIELDS, o, o + SEG_FIELDS);
        kept++;
      }
    }
    if (kept === 0) rev.releaseSegments(pool);
    else rev.segCount = kept;
  }
  t.flags = f;
}

/** Nanoseconds from (s0, n0) to (s, n); +Infinity when negative (Wireshark's unsigned delta). */
function nsSince(s: number, n: number, s0: number, n0: number): number {
  const dt = (s - s0) * 1e9 + (n - n0);
  return dt < 0 ? Infinity : dt;
}

function endpointHash(buf: Buffer, off: number, len: number, port: number): number {
  let h = 0x811c9dc5 ^ port;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[off + i], 0x01000193);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

function same(pool: Uint8Array, p: number, buf: Buffer, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (pool[p + i] !== buf[off + i]) return false;
  return true;
}
