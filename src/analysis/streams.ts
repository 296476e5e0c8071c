// TCP conversation tracking, after Wireshark 4.0's packet-tcp.c, so that what tcpwatch shows agrees
// with tshark: tcp.stream numbers in order of first packet (a new SYN with another initial sequence
// number on a known 4-tuple starts a new stream, "TCP Port numbers reused"), relative sequence and
// acknowledgement numbers, window scaling, the tcp.analysis.* findings (retransmissions, duplicate
// ACKs, zero windows, keep-alives, lost and ACKed-unseen segments), the ACK round-trip time, the
// role of each segment in its connection (handshake, data, teardown) and the connection's state.
//
// Hot path: conversations are found through a hash table keyed by a 30-bit hash of the addresses and
// ports read straight from the frame buffer, then compared byte by byte; nothing is allocated per packet.
// The state of every connection is numbers in blocks of typed arrays (ConnectionState), not objects:
// a capture of a million connections would otherwise keep millions of objects (and the boxed
// numbers of their fields) for the garbage collector to walk and move while it is read.
// Unacknowledged segments live in one pool for all connections (SegmentPool). TcpConversation and
// TcpFlow are views of that state for whoever wants a connection's figures (conversation tables).
//
// The state has a ceiling (stateBudgetBytes, --state-budget): a flood of connections (a SYN flood
// makes one per packet) would otherwise grow it without end. At the ceiling the least recently
// active block of BLOCK_ROWS connections is retired as a whole — its rows, addresses and hash
// entries forgotten, its memory freed — and counted; a later segment of a retired connection starts
// a new tcp.stream, numbered after every other, as a connection never seen before would be.
//
// Sequence analysis works on raw 32-bit sequence numbers with wrap-around comparisons (RFC 9293
// §3.4), and, as in Wireshark, 0 stands for "not seen yet" in nextSeq/lastAck/maxSeqToBeAcked.

import { Dissection, Proto } from '../decode/dissection';
import { TH_ACK, TH_AE, TH_CWR, TH_ECE, TH_FIN, TH_PSH, TH_RST, TH_SYN, TCP_MIN_HEADER_LEN, TCPOPT_EOL, TCPOPT_NOP } from '../decode/tcp';
import { TcpAnalysisFlag as AF, TcpCompleteness, TcpRole, TcpState } from './tcp-analysis';
import { Reassembler, StreamConsumer, globalStreamConsumers, ReassemblyOptions } from './reassembly';

/** Wireshark's TCP_MAX_UNACKED_SEGMENTS: beyond this many unacknowledged segments, new ones are not tracked. */
const MAX_UNACKED_SEGMENTS = 1000;
/** A held segment's words in the SegmentPool: SG_SEC is a Float64 (two words, at an even offset). */
const SG_SEC = 0;
const SG_SEQ = 2;
const SG_NEXT = 3;
const SG_FRAME = 4;
const SG_NSEC = 5;
const SEG_FIELDS = 6;
/** Bytes per conversation in the address pools: A's and B's address, 4 each for IPv4, 16 for IPv6. */
const ADDR_SLOT_V4 = 8;
const ADDR_SLOT_V6 = 32;
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
export function gtSeq(a: number, b: number): boolean { return ((b - a) | 0) < 0; }
/** a < b in sequence space (LT_SEQ). */
export function ltSeq(a: number, b: number): boolean { return ((a - b) | 0) < 0; }
/** a <= b in sequence space (LE_SEQ). */
function leSeq(a: number, b: number): boolean { return ((b - a) | 0) >= 0; }

// ---- Per-connection state: one row of 32-bit words per tcp.stream index ----
// A row holds the connection's own fields (C_*) then the client's flow at FLOW_CLIENT, FLOW_W words
// (F_* offsets from the flow's start). The server's flow is made when the connection first needs it
// (serverFlowNeeded: a segment from the server, or one that acknowledges or carries anything) in the
// block's server area after its rows, and C_SERVER_FLOW says where: a SYN flood's connections, which
// never hear from the server, cost a row without it (200 bytes instead of 320). Until then the
// server's flow reads as ABSENT_FLOW, a flow at its starting values that nothing writes.
// A block is one ArrayBuffer seen three ways (RowBlock): most fields are 32-bit words (`s`; sequence
// numbers, windows, flags, frame numbers and nanoseconds fit), the few that may go negative are
// read as Int32 (`si`), and what needs more than 32 bits (seconds, byte counts, the RTT in
// nanoseconds) is a Float64 at an even word offset (`sw[(offset) >> 1]`). Against a row of Float64
// numbers this costs the flood of connections that never carry data 208 bytes less each, and the
// hot path the same typed-array loads.

/** Port A (the client's) in the high 16 bits, port B in the low: one comparison finds a 4-tuple's ports. */
const C_PORTS = 0;
/** Word offset of the server's flow in the block, 0 while it has none (ABSENT_FLOW stands for it). */
const C_SERVER_FLOW = 1;
/** Stream index of the next conversation in the same hash bucket, -1 at the end (Int32). */
const C_NEXT_IN_BUCKET = 2;
/** TcpState bits in the low 8 bits, the teardown steps counted so far above them (TEARDOWN_SHIFT). */
const C_STATE = 3;
const STATE_MASK = 0xff;
const TEARDOWN_SHIFT = 8;
/** The count stops here: only a flood of FINs on one connection gets so far, and the first steps are what is shown. */
const MAX_TEARDOWN_STEPS = 0xffffff;
// Float64 fields: each takes two words at an even offset.
const C_FIRST_SEC = 4;
const C_LAST_SEC = 6;
/**
 * The seconds of the most recent SYN (Wireshark's ts_mru_syn) until the handshake's RTT is known
 * (CF_RTT_KNOWN), then the RTT in nanoseconds (ts_first_rtt): once the RTT is set the SYN's time is
 * never read again, so the two share a Float64.
 */
const C_MRU_SYN_SEC_OR_RTT = 8;
const C_FIRST_NSEC = 10;
const C_LAST_NSEC = 11;
const C_MRU_SYN_NSEC = 12;
/** Frame numbers are 32-bit, as Wireshark's. */
const C_FIRST_FRAME = 13;
const C_LAST_FRAME = 14;
/** CF_* bits. */
const C_FLAGS = 15;
const CF_ACCECN_SYN = 1;
const CF_ACCECN_SYN_ACK = 2;
const CF_ACCECN_OPTION = 4;
const CF_SOCKS_SEEN = 8;
/** The row is a conversation (SOCKS takes stream indexes that have no row). */
const CF_MADE = 16;
/** Which side sent the connection's first FIN: it closes actively, the other passively. */
const CF_FIRST_FIN_CLIENT = 32;
const CF_FIRST_FIN_SERVER = 64;
/** Carried over IPv6 (else IPv4). */
const CF_IPV6 = 128;
/** Wireshark's conversation completeness bits (TcpCompleteness), kept in C_FLAGS from this bit up (6 bits). */
const CF_COMPLETENESS_SHIFT = 8;
const CF_COMPLETENESS = 63 << CF_COMPLETENESS_SHIFT;
/**
 * The client's SYN offered no window scale, so neither side scales (scanSynOptions), before the
 * server's flow was made: it starts at WS_NONE then.
 */
const CF_SERVER_WS_NONE = 1 << 14;
/** C_MRU_SYN_SEC_OR_RTT holds the handshake's RTT (a non-zero one, as Wireshark's ts_first_rtt once set). */
const CF_RTT_KNOWN = 1 << 15;
const CONN_W = 16;

// Float64 fields of a flow (even offsets; FLOW_CLIENT and FLOW_W are even too).
const F_NEXT_SEQ_SEC = 0;
const F_LAST_ACK_SEC = 2;
// conversation statistics; bytes are frame bytes (frame.len), as Wireshark's conversation table counts them
const F_BYTES = 4;
const F_PAYLOAD_BYTES = 6;
/** Bytes sent since the last PSH (tcp.analysis.push_bytes_sent). */
const F_PUSH_BYTES = 8;
const F_BASE_SEQ = 10;
/** FF_* bits. */
const F_FLAGS = 11;
/** Window scale shift from this side's SYN; WS_UNKNOWN, or WS_NONE when no scaling is in use (Int32). */
const F_WIN_SCALE = 12;
/** Last raw window this side advertised (Wireshark starts it at UINT32_MAX). */
const F_WINDOW = 13;
// sequence analysis, raw numbers (0: not seen yet)
const F_NEXT_SEQ = 14;
const F_NEXT_SEQ_FRAME = 15;
const F_NEXT_SEQ_NSEC = 16;
const F_LAST_ACK = 17;
const F_LAST_ACK_NSEC = 18;
/** Int32: -1 marks a direction whose ACKed-unseen report was made. */
const F_DUP_ACK_NUM = 19;
const F_LAST_NON_DUP_ACK = 20;
const F_MAX_SEQ_TO_BE_ACKED = 21;
const F_LAST_SEGMENT_FLAGS = 22;
/** Unacknowledged segments, oldest first: how many, and where in the SegmentPool (Int32, -1: none held). */
const F_SEG_COUNT = 23;
const F_SEG_OFF = 24;
/** Raw sequence number just after this side's FIN. */
const F_FIN_NEXT = 25;
const F_PACKETS = 26;
/** Bytes this side's latest SACK option reports received (its first three blocks, as Wireshark keeps). */
const F_SACK_BYTES = 27;
const FLOW_W = 28;
const FF_BASE_SET = 1;
const FF_SAW_SYN = 2;
const FF_FIRST_ACK = 4;
const FF_FIN_SENT = 8;
const FF_FIN_ACKED = 16;
/** Bytes in flight are not shown after a gap until the peer ACKs again (Wireshark's valid_bif). */
const FF_BIF_INVALID = 32;
/** The last segment that counted towards push_bytes_sent had PSH set. */
const FF_PUSH_LAST = 64;
/** F_FLAGS from this bit up: the flow's room in the SegmentPool, for SEG_MIN << class segments. */
const FF_SEG_CLASS_SHIFT = 8;
/** Wireshark keeps the SACK blocks of a segment for bytes in flight in slots 1..3 of a 4-slot array. */
const SACK_BLOCKS_KEPT = 3;
/** Bytes-in-flight figures of 2^31 and more are wrap-around artefacts that Wireshark does not show. */
const MAX_BYTES_IN_FLIGHT = 2_000_000_000;

const FLOW_CLIENT = CONN_W;
/** Words per row. */
const ROW_W = FLOW_CLIENT + FLOW_W;

const BLOCK_BITS = 10;
const BLOCK_ROWS = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK_ROWS - 1;
/** The server's flow of a connection that has none yet: starting values, read and never written. */
const ABSENT_FLOW = BLOCK_ROWS * ROW_W;
/** Server flows follow it; the area starts with room for SERVER_AREA_MIN and doubles as it fills. */
const SERVER_AREA = ABSENT_FLOW + FLOW_W;
const SERVER_AREA_MIN = 32;
/**
 * Memory of one block of connections without server flows: rows, IPv4-sized address slots and its
 * share of a half-full hash table. Its server flows (FLOW_W words each, as room is made for them)
 * and, once it holds an IPv6 connection, its IPv6 slots (V6_BLOCK_BYTES) count towards the ceiling too.
 */
const BLOCK_BYTES = BLOCK_ROWS * (ROW_W * 4 + ADDR_SLOT_V4 + 4 * 8) + FLOW_W * 4;
const V6_BLOCK_BYTES = BLOCK_ROWS * ADDR_SLOT_V6;
/** Default ceiling of conversation state: about 4.3 million connections that never hear from the server at a time, 2.9 million that do. */
export const DEFAULT_STATE_BUDGET_MIB = 1024;
/** The fewest blocks a budget keeps: the one being filled and one more. */
const MIN_BLOCKS = 2;

let defaultStateBudgetBytes = DEFAULT_STATE_BUDGET_MIB * 1024 * 1024;
/**
 * The ceiling tables made from now on get when their maker names none (--state-budget sets it for
 * the run, whichever way the pipeline is built: -r, live, the UI).
 */
export function setDefaultStateBudget(bytes: number): void {
  defaultStateBudgetBytes = bytes;
}

/**
 * The rows of one block and its server flows: one ArrayBuffer as 32-bit words, as Int32 and as
 * Float64 (see the layout above). Making room for more server flows replaces the buffer, so its
 * views are read from the block, not kept, across a call that may make a server flow.
 */
class RowBlock {
  s: Uint32Array;
  si: Int32Array;
  sw: Float64Array;
  /** Server flows made, and room for them. */
  servers = 0;
  private room = 0;

  /** `made`: false for the stand-in of a retired block or one not made yet (NO_ROWS), which holds nothing. */
  constructor(made: boolean) {
    const buf = new ArrayBuffer(made ? SERVER_AREA * 4 : 0);
    this.s = new Uint32Array(buf);
    this.si = new Int32Array(buf);
    this.sw = new Float64Array(buf);
    if (made) initFlow(this, ABSENT_FLOW, false);
  }

  private view(buf: ArrayBuffer): void {
    this.s = new Uint32Array(buf);
    this.si = new Int32Array(buf);
    this.sw = new Float64Array(buf);
  }

  /** A new server flow at its starting values; returns its offset and the bytes the block grew by. */
  addServerFlow(wsNone: boolean): number {
    if (this.servers === this.room) {
      const room = this.room === 0 ? SERVER_AREA_MIN : Math.min(BLOCK_ROWS, this.room * 2);
      const bigger = new Uint32Array(SERVER_AREA + room * FLOW_W);
      bigger.set(this.s);
      this.view(bigger.buffer);
      this.room = room;
    }
    const f = SERVER_AREA + this.servers++ * FLOW_W;
    initFlow(this, f, wsNone);
    return f;
  }
}

/** A flow's starting values; the rest of its words are 0, as a new buffer's are. */
function initFlow(b: RowBlock, f: number, wsNone: boolean): void {
  b.si[f + F_WIN_SCALE] = wsNone ? WS_NONE : WS_UNKNOWN;
  b.s[f + F_WINDOW] = 0xffffffff;
  b.si[f + F_SEG_OFF] = -1;
}

/** The handshake's round-trip time of connection `c` in nanoseconds, 0 while not known. */
function firstRttNs(b: RowBlock, c: number): number {
  return (b.s[c + C_FLAGS] & CF_RTT_KNOWN) !== 0 ? b.sw[(c + C_MRU_SYN_SEC_OR_RTT) >> 1] : 0;
}

/** Offset of connection `c`'s server flow in `s`: ABSENT_FLOW while it has none. */
function serverFlowOf(s: Uint32Array, c: number): number {
  return s[c + C_SERVER_FLOW] === 0 ? ABSENT_FLOW : s[c + C_SERVER_FLOW];
}

/** A retired block, and a block not made yet. */
const NO_ROWS = new RowBlock(false);
const NO_ADDRESSES = new Uint8Array(0);

/** The rows of every stream index, in blocks of 1024 that are never moved (only retired). */
class ConnectionState {
  /** By block number; NO_ROWS once retired. */
  readonly blocks: RowBlock[] = [];
  /** Both IPv4 addresses of every conversation of a block, ADDR_SLOT_V4 bytes each. */
  readonly addresses: Uint8Array[] = [];
  /** Both IPv6 addresses, ADDR_SLOT_V6 bytes each; NO_ADDRESSES until the block's first IPv6 connection. */
  readonly addresses6: Uint8Array[] = [];
  /** Frame number of the latest segment of any connection of the block. */
  lastUse = new Float64Array(64);
  live = 0;
  /** Bytes the live blocks take (rows, server flows, address slots, hash share), against maxBytes. */
  private liveBytes = 0;
  /** The most blocks live at once. */
  peakLive = 0;
  /** Connections forgotten at the ceiling, and blocks retired. */
  retiredConnections = 0;
  retiredBlocks = 0;

  constructor(readonly maxBytes: number, private readonly segments: SegmentPool) {}

  /** The block that holds stream `st` (made when new; NO_ROWS when retired). */
  block(st: number): RowBlock {
    const bi = st >>> BLOCK_BITS;
    while (this.blocks.length <= bi) {
      this.blocks.push(NO_ROWS);
      this.addresses.push(NO_ADDRESSES);
      this.addresses6.push(NO_ADDRESSES);
    }
    if (this.blocks[bi] === NO_ROWS && bi >= this.madeBlocks) {
      while (this.live >= MIN_BLOCKS && this.liveBytes + BLOCK_BYTES > this.maxBytes) this.retireLeastRecent();
      this.blocks[bi] = new RowBlock(true);
      this.addresses[bi] = new Uint8Array(BLOCK_ROWS * ADDR_SLOT_V4);
      if (bi >= this.lastUse.length) {
        const more = new Float64Array(Math.max(this.lastUse.length * 2, bi + 1));
        more.set(this.lastUse);
        this.lastUse = more;
      }
      this.live++;
      this.liveBytes += BLOCK_BYTES;
      if (this.live > this.peakLive) this.peakLive = this.live;
      this.madeBlocks = bi + 1;
    }
    return this.blocks[bi];
  }

  /** Make connection `c`'s server flow (in stream `st`'s block); returns its offset. */
  addServerFlow(st: number, c: number): number {
    const b = this.blocks[st >>> BLOCK_BITS];
    const before = b.s.byteLength;
    const f = b.addServerFlow((b.s[c + C_FLAGS] & CF_SERVER_WS_NONE) !== 0);
    b.s[c + C_SERVER_FLOW] = f;
    this.liveBytes += b.s.byteLength - before;
    // Room made for server flows counts as a new block does; the block of this segment is the most
    // recently active, so it is never the one retired.
    while (this.live >= MIN_BLOCKS && this.liveBytes > this.maxBytes) this.retireLeastRecent();
    return f;
  }

  /** The IPv6 slots of stream `st`'s block, made on first use. */
  addresses6Of(st: number): Uint8Array {
    const bi = st >>> BLOCK_BITS;
    if (this.addresses6[bi] === NO_ADDRESSES) {
      this.addresses6[bi] = new Uint8Array(BLOCK_ROWS * ADDR_SLOT_V6);
      this.liveBytes += V6_BLOCK_BYTES;
    }
    return this.addresses6[bi];
  }

  /** Blocks below this were all made once: a NO_ROWS among them is retired, not waiting to be made. */
  private madeBlocks = 0;

  isLive(st: number): boolean {
    return st >= 0 && this.blocks[st >>> BLOCK_BITS] !== NO_ROWS && this.blocks[st >>> BLOCK_BITS] !== undefined;
  }

  /** Retire the block whose latest segment is the oldest: none of its connections is as recent as any other block's. */
  private retireLeastRecent(): void {
    let oldest = -1;
    for (let bi = 0; bi < this.blocks.length; bi++) {
      if (this.blocks[bi] === NO_ROWS) continue;
      if (oldest < 0 || this.lastUse[bi] < this.lastUse[oldest]) oldest = bi;
    }
    if (oldest < 0) return;
    const rows = this.blocks[oldest], s = rows.s;
    for (let c = 0; c < ABSENT_FLOW; c += ROW_W) {
      if ((s[c + C_FLAGS] & CF_MADE) === 0) continue;
      this.retiredConnections++;
      // The unacknowledged segments of a forgotten connection go back to the pool.
      releaseSegments(rows, c + FLOW_CLIENT, this.segments);
      if (s[c + C_SERVER_FLOW] !== 0) releaseSegments(rows, s[c + C_SERVER_FLOW], this.segments);
    }
    this.liveBytes -= BLOCK_BYTES + (s.byteLength - SERVER_AREA * 4);
    this.blocks[oldest] = NO_ROWS;
    this.addresses[oldest] = NO_ADDRESSES;
    if (this.addresses6[oldest] !== NO_ADDRESSES) {
      this.addresses6[oldest] = NO_ADDRESSES;
      this.liveBytes -= V6_BLOCK_BYTES;
    }
    this.live--;
    this.retiredBlocks++;
    this.onRetire();
  }

  onRetire: () => void = () => {};

  /**
   * A new connection's row, with every field at its starting value. Stream indexes are handed out
   * once, so the row is still as its block was made: zeros, the starting value of most fields.
   */
  init(st: number): void {
    const b = this.block(st), si = b.si, c = (st & BLOCK_MASK) * ROW_W;
    si[c + C_NEXT_IN_BUCKET] = -1;
    initFlow(b, c + FLOW_CLIENT, false);
  }
}

function has(s: Uint32Array, at: number, bit: number): boolean {
  return (s[at] & bit) !== 0;
}

function setBit(s: Uint32Array, at: number, bit: number, on: boolean): void {
  s[at] = on ? s[at] | bit : s[at] & ~bit;
}

/**
 * The newest conversation for each 30-bit 4-tuple hash: open addressing over two Int32Arrays (a Map
 * of tens of thousands of numbers costs a lookup that shows in the profile of every packet).
 */
class Buckets {
  /** Hash + 1 (0: empty slot), and the stream index heading the bucket. */
  private keys = new Int32Array(1024);
  private heads = new Int32Array(1024);
  private used = 0;

  /** `isLive(stream)`: false for a retired stream, whose bucket is dropped when the table is rebuilt. */
  constructor(private readonly isLive: (stream: number) => boolean) {}

  /** Stream index heading the bucket of `key`, -1 when there is none. */
  get(key: number): number {
    const keys = this.keys, mask = keys.length - 1, k = key + 1;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const at = keys[i];
      if (at === k) return this.heads[i];
      if (at === 0) return -1;
    }
  }

  set(key: number, stream: number): void {
    const keys = this.keys, mask = keys.length - 1, k = key + 1;
    let i = key & mask;
    while (keys[i] !== 0 && keys[i] !== k) i = (i + 1) & mask;
    if (keys[i] === 0) {
      keys[i] = k;
      if (++this.used * 2 > keys.length) {
        this.heads[i] = stream;
        this.grow();
        return;
      }
    }
    this.heads[i] = stream;
  }

  /**
   * Rebuilt without the buckets of retired streams, with at least 8 slots for every 3 buckets left:
   * twice the old size when all are live (the table grows when it is just over half full, so 4
   * slots a bucket would quadruple it, to a quarter full, and cost a flood of connections 34 bytes
   * each instead of 17).
   */
  private grow(): void {
    const oldKeys = this.keys, oldHeads = this.heads;
    let live = 0;
    for (let j = 0; j < oldKeys.length; j++) if (oldKeys[j] !== 0 && this.isLive(oldHeads[j])) live++;
    let size = 1024;
    while (size * 3 < live * 8) size *= 2;
    const keys = new Int32Array(size), heads = new Int32Array(size), mask = keys.length - 1;
    this.used = live;
    for (let j = 0; j < oldKeys.length; j++) {
      const k = oldKeys[j];
      if (k === 0 || !this.isLive(oldHeads[j])) continue;
      let i = (k - 1) & mask;
      while (keys[i] !== 0) i = (i + 1) & mask;
      keys[i] = k;
      heads[i] = oldHeads[j];
    }
    this.keys = keys;
    this.heads = heads;
  }
}

/**
 * One direction of a connection, as figures: what its sender has sent and what it has acknowledged.
 * The block's arrays and the server flow's place are read on every access: both change when the
 * connection's server flow is made.
 */
export class TcpFlow {
  constructor(private readonly b: RowBlock, private readonly c: number, private readonly server: boolean) {}

  private get f(): number { return this.server ? serverFlowOf(this.b.s, this.c) : this.c + FLOW_CLIENT; }

  get baseSeq(): number { return this.b.s[this.f + F_BASE_SEQ]; }
  get baseSet(): boolean { return has(this.b.s, this.f + F_FLAGS, FF_BASE_SET); }
  get sawSyn(): boolean { return has(this.b.s, this.f + F_FLAGS, FF_SAW_SYN); }
  /** Window scale shift from this side's SYN; -1 unknown, -2 none in use. */
  get winScale(): number {
    const s = this.b.s;
    if (this.server && s[this.c + C_SERVER_FLOW] === 0) return has(s, this.c + C_FLAGS, CF_SERVER_WS_NONE) ? WS_NONE : WS_UNKNOWN;
    return this.b.si[this.f + F_WIN_SCALE];
  }
  get window(): number { return this.b.s[this.f + F_WINDOW]; }
  get nextSeq(): number { return this.b.s[this.f + F_NEXT_SEQ]; }
  get lastAck(): number { return this.b.s[this.f + F_LAST_ACK]; }
  /** Unacknowledged segments held. */
  get segCount(): number { return this.b.s[this.f + F_SEG_COUNT]; }
  get finSent(): boolean { return has(this.b.s, this.f + F_FLAGS, FF_FIN_SENT); }
  get finAcked(): boolean { return has(this.b.s, this.f + F_FLAGS, FF_FIN_ACKED); }
  get packets(): number { return this.b.s[this.f + F_PACKETS]; }
  /** Frame bytes (frame.len), as Wireshark's conversation table counts them. */
  get bytes(): number { return this.b.sw[(this.f + F_BYTES) >> 1]; }
  get payloadBytes(): number { return this.b.sw[(this.f + F_PAYLOAD_BYTES) >> 1]; }
}

/** One TCP connection (Wireshark's TCP conversation), as figures: both directions and what is known about them. */
export class TcpConversation {
  /** Side that opened the connection (sent the SYN, or the first segment seen) and the other side. */
  readonly client: TcpFlow;
  readonly server: TcpFlow;
  private readonly b: RowBlock;
  private readonly c: number;

  constructor(state: ConnectionState, readonly index: number) {
    this.b = state.block(index);
    this.c = (index & BLOCK_MASK) * ROW_W;
    this.client = new TcpFlow(this.b, this.c, false);
    this.server = new TcpFlow(this.b, this.c, true);
  }

  /** Endpoints: A is the client's. The addresses live in the table's pool (TcpStreamTable.address). */
  get portA(): number { return this.b.s[this.c + C_PORTS] >>> 16; }
  get portB(): number { return this.b.s[this.c + C_PORTS] & 0xffff; }
  /** 4 or 6. */
  get ipVersion(): number { return has(this.b.s, this.c + C_FLAGS, CF_IPV6) ? 6 : 4; }
  /** Capture time of the first and last segment. */
  get firstSec(): number { return this.b.sw[(this.c + C_FIRST_SEC) >> 1]; }
  get firstNsec(): number { return this.b.s[this.c + C_FIRST_NSEC]; }
  get lastSec(): number { return this.b.sw[(this.c + C_LAST_SEC) >> 1]; }
  get lastNsec(): number { return this.b.s[this.c + C_LAST_NSEC]; }
  get firstFrame(): number { return this.b.s[this.c + C_FIRST_FRAME]; }
  get lastFrame(): number { return this.b.s[this.c + C_LAST_FRAME]; }
  /** TcpState bits. */
  get state(): number { return this.b.s[this.c + C_STATE] & STATE_MASK; }
  get teardownSteps(): number { return this.b.s[this.c + C_STATE] >>> TEARDOWN_SHIFT; }
  /** The handshake's round-trip time in nanoseconds, 0 when not known. */
  get firstRttNs(): number { return firstRttNs(this.b, this.c); }
  get packets(): number { return this.client.packets + this.server.packets; }
}

/**
 * Room for a flow's unacknowledged segments, in blocks of SEG_MIN << class segments. One: a
 * connection that never carries data holds one segment (its SYN) until the SYN/ACK, often for good.
 */
const SEG_MIN = 1;

/**
 * The unacknowledged segments of every flow in one ArrayBuffer: a flow takes a block when it sends
 * data and gives it back once everything is acknowledged, so a capture of many short connections
 * needs a few blocks, not a typed array per connection (which cost more to make than the segments
 * they held, and stayed with the connection for good). A flow keeps the size of block it last
 * needed, so that a bulk transfer does not grow its block again after every acknowledgement.
 * A segment is SEG_FIELDS words: the time's seconds as a Float64 (SG_SEC, two words), then its
 * start and end sequence numbers, frame number and nanoseconds.
 */
export class SegmentPool {
  a = new Uint32Array(64 * SEG_FIELDS);
  w = new Float64Array(this.a.buffer);
  private used = 0;
  private readonly free: number[][] = [];

  /** Offset (in words) of a block of SEG_MIN << cls segments; `a` and `w` may be replaced (grown) by this call. */
  take(cls: number): number {
    const list = this.free[cls];
    if (list !== undefined && list.length > 0) return list.pop()!;
    const size = (SEG_MIN << cls) * SEG_FIELDS;
    if (this.used + size > this.a.length) {
      const bigger = new Uint32Array(Math.max(this.a.length * 2, this.used + size));
      bigger.set(this.a.subarray(0, this.used));
      this.a = bigger;
      this.w = new Float64Array(bigger.buffer);
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

/** Append a segment to flow `f` (a row offset in `b`). */
function addSegment(b: RowBlock, f: number, pool: SegmentPool, seq: number, next: number, frame: number, sec: number, nsec: number): void {
  const s = b.s, si = b.si;
  const n = s[f + F_SEG_COUNT];
  let off = si[f + F_SEG_OFF];
  const cls = s[f + F_FLAGS] >>> FF_SEG_CLASS_SHIFT;
  if (off < 0) {
    off = si[f + F_SEG_OFF] = pool.take(cls);
  } else if (n === SEG_MIN << cls) {
    const moved = pool.take(cls + 1);
    pool.a.copyWithin(moved, off, off + n * SEG_FIELDS);
    pool.give(off, cls);
    off = si[f + F_SEG_OFF] = moved;
    s[f + F_FLAGS] += 1 << FF_SEG_CLASS_SHIFT;
  }
  const a = pool.a;
  const o = off + n * SEG_FIELDS;
  pool.w[(o + SG_SEC) >> 1] = sec;
  a[o + SG_SEQ] = seq;
  a[o + SG_NEXT] = next;
  a[o + SG_FRAME] = frame;
  a[o + SG_NSEC] = nsec;
  s[f + F_SEG_COUNT] = n + 1;
}

/** All of flow f's segments were acknowledged: the room goes back to the pool. */
function releaseSegments(b: RowBlock, f: number, pool: SegmentPool): void {
  const si = b.si;
  if (si[f + F_SEG_OFF] >= 0) pool.give(si[f + F_SEG_OFF], b.s[f + F_FLAGS] >>> FF_SEG_CLASS_SHIFT);
  si[f + F_SEG_OFF] = -1;
  b.s[f + F_SEG_COUNT] = 0;
}

/**
 * The TCP analysis stage of the pipeline: finds each segment's conversation and fills d.tcp.
 * Also feeds stream reassembly (src/analysis/reassembly.ts) when a consumer is registered.
 */
export class TcpStreamTable {
  /** Hash of the 4-tuple → stream index of the newest conversation with that hash. */
  private readonly buckets: Buckets;
  private readonly state: ConnectionState;
  /** Views of the live conversations, in stream order, up to viewsUpTo; rebuilt after a retirement. */
  private views: TcpConversation[] = [];
  private viewsUpTo = 0;
  private viewsRetired = 0;
  readonly reassembly: Reassembler;
  /** Stream indexes also count conversations Wireshark opens for proxied (SOCKS) connections. */
  private nextIndex = 0;
  private readonly segments: SegmentPool;
  /** Called once, when the ceiling is first reached and connections start to be retired. */
  onCeiling: (() => void) | null = null;

  constructor(opts: ReassemblyOptions = {}, stateBudgetBytes = defaultStateBudgetBytes) {
    this.reassembly = new Reassembler(opts);
    for (const c of globalStreamConsumers) this.reassembly.addConsumer(c);
    this.segments = new SegmentPool();
    this.state = new ConnectionState(stateBudgetBytes, this.segments);
    this.state.onRetire = () => {
      if (this.state.retiredBlocks === 1 && this.onCeiling !== null) this.onCeiling();
    };
    const state = this.state;
    this.buckets = new Buckets((st) => state.isLive(st));
  }

  /** Number of tcp.stream indexes handed out. */
  get count(): number { return this.nextIndex; }

  /** Connections forgotten because the state reached its ceiling. */
  get retiredConnections(): number { return this.state.retiredConnections; }

  /** The most connections held at once (whole blocks): at the ceiling, how many it holds. */
  get maxConnections(): number { return this.state.peakLive * BLOCK_ROWS; }

  /** The live conversations, in stream order (a reused 4-tuple has one entry per connection); made when asked for. */
  get conversations(): TcpConversation[] {
    const state = this.state;
    if (this.viewsRetired !== state.retiredBlocks) {
      this.views = this.views.filter((v) => state.isLive(v.index));
      this.viewsRetired = state.retiredBlocks;
    }
    for (let st = this.viewsUpTo; st < this.nextIndex; st++) {
      const b = state.blocks[st >>> BLOCK_BITS];
      if (b === undefined || b === NO_ROWS) continue;
      if ((b.s[(st & BLOCK_MASK) * ROW_W + C_FLAGS] & CF_MADE) !== 0) this.views.push(new TcpConversation(state, st));
    }
    this.viewsUpTo = this.nextIndex;
    return this.views;
  }

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
    const v6 = version === 6, ipv6Flag = v6 ? CF_IPV6 : 0;
    const srcOff = ipOff + (v6 ? 8 : 12);
    const dstOff = ipOff + (v6 ? 24 : 16);
    const alen = v6 ? 16 : 4;
    const sport = d.srcPort, dport = d.dstPort;
    const portsAB = ((sport << 16) | dport) >>> 0, portsBA = ((dport << 16) | sport) >>> 0;
    const key = (endpointHash(buf, srcOff, alen, sport) + endpointHash(buf, dstOff, alen, dport)) & 0x3fffffff;
    const flags = d.tcpFlags;
    const seq = d.seqRaw;

    const state = this.state;
    let st = this.buckets.get(key);
    let fromA = false;
    while (st >= 0) {
      const b = state.blocks[st >>> BLOCK_BITS], s = b.s, c = (st & BLOCK_MASK) * ROW_W;
      // A bucket's chain runs from the newest conversation to older ones: past a retired one, all are.
      if (b === NO_ROWS) { st = -1; break; }
      if ((s[c + C_FLAGS] & CF_IPV6) === ipv6Flag) {
        const pool = v6 ? state.addresses6[st >>> BLOCK_BITS] : state.addresses[st >>> BLOCK_BITS], a = (st & BLOCK_MASK) * (alen * 2);
        const ports = s[c + C_PORTS];
        if (ports === portsAB && same(pool, a, buf, srcOff, alen) && same(pool, a + alen, buf, dstOff, alen)) { fromA = true; break; }
        if (ports === portsBA && same(pool, a, buf, dstOff, alen) && same(pool, a + alen, buf, srcOff, alen)) { fromA = false; break; }
      }
      st = b.si[c + C_NEXT_IN_BUCKET];
    }
    let reused = false;
    if (st < 0) {
      st = this.create(d, key, version, srcOff, dstOff, alen);
      fromA = state.blocks[st >>> BLOCK_BITS].s[(st & BLOCK_MASK) * ROW_W + C_PORTS] === portsAB &&
        same(v6 ? state.addresses6[st >>> BLOCK_BITS] : state.addresses[st >>> BLOCK_BITS], (st & BLOCK_MASK) * (alen * 2), buf, srcOff, alen);
    } else if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) {
      // Wireshark 4.0: a SYN whose sequence number differs from the base of the conversation found
      // starts a new conversation on the same ports; the same number is a retransmitted SYN.
      const s = state.blocks[st >>> BLOCK_BITS].s, c = (st & BLOCK_MASK) * ROW_W, fwd = fromA ? c + FLOW_CLIENT : serverFlowOf(s, c);
      if (has(s, fwd + F_FLAGS, FF_BASE_SET) && seq !== s[fwd + F_BASE_SEQ]) {
        st = this.create(d, key, version, srcOff, dstOff, alen);
        fromA = true;
        reused = true;
      }
    } else if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      // A SYN/ACK with another initial sequence number: Wireshark 4.0 keeps the stream but counts
      // that side from the new number.
      const s = state.blocks[st >>> BLOCK_BITS].s, c = (st & BLOCK_MASK) * ROW_W, fwd = fromA ? c + FLOW_CLIENT : serverFlowOf(s, c);
      if (has(s, fwd + F_FLAGS, FF_BASE_SET) && seq !== s[fwd + F_BASE_SEQ] && !d.inIcmpError) {
        s[fwd + F_BASE_SEQ] = seq;
        reused = true;
      }
    }
    state.lastUse[st >>> BLOCK_BITS] = d.number;
    const t = d.tcp;
    t.stream = st;
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
    this.segment(d, st, fromA);
  }

  /** Address of side A (the client) or B of a conversation: 4 or 16 bytes, a copy. */
  address(conv: TcpConversation, sideB: boolean): Uint8Array {
    const v6 = conv.ipVersion === 6, alen = v6 ? 16 : 4, bi = conv.index >>> BLOCK_BITS;
    const o = (conv.index & BLOCK_MASK) * (alen * 2) + (sideB ? alen : 0);
    return (v6 ? this.state.addresses6[bi] : this.state.addresses[bi]).slice(o, o + alen);
  }

  private storeAddresses(index: number, buf: Buffer, aOff: number, bOff: number, alen: number): void {
    const pool = alen === 16 ? this.state.addresses6Of(index) : this.state.addresses[index >>> BLOCK_BITS], o = (index & BLOCK_MASK) * (alen * 2);
    for (let i = 0; i < alen; i++) {
      pool[o + i] = buf[aOff + i];
      pool[o + alen + i] = buf[bOff + i];
    }
  }

  /** A new conversation for the segment in d; returns its stream index. */
  private create(d: Dissection, key: number, version: number, srcOff: number, dstOff: number, alen: number): number {
    const st = this.nextIndex++;
    this.state.init(st);
    const b = this.state.block(st), s = b.s, sw = b.sw, si = b.si, c = (st & BLOCK_MASK) * ROW_W;
    s[c + C_FLAGS] = version === 6 ? CF_MADE | CF_IPV6 : CF_MADE;
    // The opener is the client: the sender of a SYN or of the first segment seen, the receiver of a
    // SYN/ACK seen first.
    const synAckFirst = (d.tcpFlags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK);
    if (synAckFirst) {
      this.storeAddresses(st, d.buf, dstOff, srcOff, alen);
      s[c + C_PORTS] = ((d.dstPort << 16) | d.srcPort) >>> 0;
    } else {
      this.storeAddresses(st, d.buf, srcOff, dstOff, alen);
      s[c + C_PORTS] = ((d.srcPort << 16) | d.dstPort) >>> 0;
    }
    sw[(c + C_FIRST_SEC) >> 1] = d.tsSec;
    s[c + C_FIRST_NSEC] = d.tsNsec;
    s[c + C_FIRST_FRAME] = d.number;
    // The newest conversation on a 4-tuple is the one later segments belong to: it heads the bucket.
    const older = this.buckets.get(key);
    si[c + C_NEXT_IN_BUCKET] = this.state.isLive(older) ? older : -1;
    this.buckets.set(key, st);
    return st;
  }

  private segment(d: Dissection, st: number, fromA: boolean): void {
    const b = this.state.blocks[st >>> BLOCK_BITS], c = (st & BLOCK_MASK) * ROW_W;
    const t = d.tcp;
    const flags = d.tcpFlags;
    const seq = d.seqRaw, ack = d.ackRaw;
    const seglen = d.payloadLen;
    // Making the server's flow may replace the block's buffer: its views are read after.
    let server = b.s[c + C_SERVER_FLOW];
    if (server === 0 && serverFlowNeeded(fromA, flags, seglen)) server = this.state.addServerFlow(st, c);
    const s = b.s, sw = b.sw, si = b.si;
    if (server === 0) server = ABSENT_FLOW;
    const fwd = fromA ? c + FLOW_CLIENT : server;
    const rev = fromA ? server : c + FLOW_CLIENT;
    t.direction = fromA ? 0 : 1;

    if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) {
      setBit(s, c + C_FLAGS, CF_ACCECN_SYN, (flags & (TH_AE | TH_CWR | TH_ECE)) === (TH_AE | TH_CWR | TH_ECE));
    } else if ((flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) {
      setBit(s, c + C_FLAGS, CF_ACCECN_SYN_ACK, (flags & (TH_AE | TH_CWR)) === TH_CWR || (flags & (TH_AE | TH_ECE)) === TH_AE);
    }

    // Relative numbers: each side counts from its SYN, or from one before its first segment when
    // the SYN was not captured; the peer's base comes from the first ACK when its SYN is missing.
    const firstOfFlow = !has(s, fwd + F_FLAGS, FF_BASE_SET);
    if (firstOfFlow) {
      if (flags & TH_SYN) {
        s[fwd + F_BASE_SEQ] = seq;
        s[fwd + F_FLAGS] |= FF_SAW_SYN;
      } else {
        s[fwd + F_BASE_SEQ] = (seq - 1) >>> 0;
      }
      s[fwd + F_FLAGS] |= FF_BASE_SET;
    }
    if (!has(s, rev + F_FLAGS, FF_BASE_SET) && (flags & TH_ACK)) {
      s[rev + F_BASE_SEQ] = (ack - 1) >>> 0;
      s[rev + F_FLAGS] |= FF_BASE_SET;
    }
    t.relSeq = (seq - s[fwd + F_BASE_SEQ]) >>> 0;
    t.hasAck = (flags & TH_ACK) !== 0;
    t.relAck = t.hasAck ? (ack - s[rev + F_BASE_SEQ]) >>> 0 : ack;
    t.nxtSeq = (t.relSeq + seglen + (flags & (TH_SYN | TH_FIN) ? 1 : 0)) >>> 0;
    if (has(s, rev + F_FLAGS, FF_BASE_SET)) t.ackBase = s[rev + F_BASE_SEQ];

    // Times within the stream and the completeness the conversation had reached before this segment.
    t.timeRelative = (d.tsSec - sw[(c + C_FIRST_SEC) >> 1]) + (d.tsNsec - s[c + C_FIRST_NSEC]) / 1e9;
    t.timeDelta = s[c + C_LAST_FRAME] === 0 ? 0 : (d.tsSec - sw[(c + C_LAST_SEC) >> 1]) + (d.tsNsec - s[c + C_LAST_NSEC]) / 1e9;
    const cflags = s[c + C_FLAGS];
    const completeness = (cflags & CF_COMPLETENESS) >>> CF_COMPLETENESS_SHIFT;
    t.completeness = completeness;
    // As in Wireshark 4.0, the first segment seen of a side whose SYN was not captured adds nothing.
    if (!firstOfFlow || (flags & TH_SYN) !== 0) {
      s[c + C_FLAGS] = (cflags & ~CF_COMPLETENESS) | ((completeness | completenessOf(flags, seglen)) << CF_COMPLETENESS_SHIFT);
    }

    const window = d.window;
    analyzeSequence(d, b, c, fwd, rev, seq, ack, seglen, flags, window, this.segments);

    const rttKnown = (s[c + C_FLAGS] & CF_RTT_KNOWN) !== 0;
    if (flags & TH_SYN) {
      if (!(flags & TH_ACK) && !rttKnown) {
        sw[(c + C_MRU_SYN_SEC_OR_RTT) >> 1] = d.tsSec;
        s[c + C_MRU_SYN_NSEC] = d.tsNsec;
      }
      s[fwd + F_FLAGS] |= FF_FIRST_ACK;
    }
    if ((flags & (TH_SYN | TH_ACK)) === TH_ACK) {
      const synSec = sw[(c + C_MRU_SYN_SEC_OR_RTT) >> 1], synNsec = s[c + C_MRU_SYN_NSEC];
      if (!rttKnown && (synSec !== 0 || synNsec !== 0)) {
        // A zero RTT leaves it unknown, as Wireshark's ts_first_rtt of zero is "not set".
        const rtt = (d.tsSec - synSec) * 1e9 + (d.tsNsec - synNsec);
        if (rtt !== 0) {
          sw[(c + C_MRU_SYN_SEC_OR_RTT) >> 1] = rtt;
          s[c + C_FLAGS] |= CF_RTT_KNOWN;
        }
      }
      s[fwd + F_FLAGS] &= ~FF_FIRST_ACK;
    }
    const rttNs = firstRttNs(b, c);
    if (rttNs > 0) t.initialRtt = rttNs / 1e9;
    // The SACK blocks are read after the analysis of their own segment, as Wireshark reads options.
    // A segment without SACK blocks forgets the previous ones.
    s[fwd + F_SACK_BYTES] = d.sackCount > 0 ? sackBytes(d) : 0;

    // The window: scaled once both SYNs told the shift counts (RFC 7323 §2.2); SYNs never are.
    if (!(flags & TH_SYN)) {
      // The shift is at most 14 (RFC 7323 §2.3), so the product stays below 2^31.
      const scale = si[fwd + F_WIN_SCALE];
      t.windowSize = scale >= 0 ? window * (1 << scale) : window;
      t.windowScale = scale >= 0 ? 1 << scale : scale;
    } else {
      t.windowSize = window;
      scanSynOptions(d, b, c, fwd, rev);
    }
    if (!has(s, c + C_FLAGS, CF_ACCECN_OPTION) && d.tcpHdrLen > TCP_MIN_HEADER_LEN && !(flags & TH_SYN) && hasAccEcnOption(d)) s[c + C_FLAGS] |= CF_ACCECN_OPTION;
    const cf = s[c + C_FLAGS];
    t.useAce = (flags & TH_SYN) === 0 && (((cf & CF_ACCECN_SYN) !== 0 && (cf & CF_ACCECN_SYN_ACK) !== 0) || (cf & CF_ACCECN_OPTION) !== 0);

    this.track(d, b, c, fwd, rev, fromA, server);
    if (seglen > 0 && d.payloadCapLen > 0 && (s[c + C_PORTS] & 0xffff) === SOCKS_PORT && fromA && !has(s, c + C_FLAGS, CF_SOCKS_SEEN)) this.socks(d, s, c);
    if (this.reassembly.active) {
      if (seglen > 0 || (flags & (TH_SYN | TH_FIN | TH_RST))) this.reassembly.segment(d, st, t.direction, s[fwd + F_BASE_SEQ], has(s, fwd + F_FLAGS, FF_SAW_SYN));
      if (flags & TH_ACK) this.reassembly.acked(d, st, 1 - t.direction, ack);
    }
  }

  /** Connection state, the segment's role, and the conversation's statistics. */
  private track(d: Dissection, b: RowBlock, c: number, fwd: number, rev: number, fromA: boolean, server: number): void {
    const s = b.s, sw = b.sw;
    const t = d.tcp;
    const flags = d.tcpFlags;
    s[fwd + F_PACKETS]++;
    sw[(fwd + F_BYTES) >> 1] += d.origLen;
    sw[(fwd + F_PAYLOAD_BYTES) >> 1] += d.payloadLen;
    sw[(c + C_LAST_SEC) >> 1] = d.tsSec;
    s[c + C_LAST_NSEC] = d.tsNsec;
    s[c + C_LAST_FRAME] = d.number;
    const stateWord = s[c + C_STATE];
    let state = stateWord & STATE_MASK, teardownSteps = stateWord >>> TEARDOWN_SHIFT;
    if (d.payloadLen > 0) state |= TcpState.Data;
    let ackedFin = false;
    const revFlags = s[rev + F_FLAGS];
    if ((flags & TH_ACK) && (revFlags & FF_FIN_SENT) !== 0 && (revFlags & FF_FIN_ACKED) === 0 && !gtSeq(s[rev + F_FIN_NEXT], d.ackRaw)) {
      s[rev + F_FLAGS] = revFlags | FF_FIN_ACKED;
      ackedFin = true;
    }
    if (flags & TH_FIN) {
      if ((s[c + C_FLAGS] & (CF_FIRST_FIN_CLIENT | CF_FIRST_FIN_SERVER)) === 0) s[c + C_FLAGS] |= fromA ? CF_FIRST_FIN_CLIENT : CF_FIRST_FIN_SERVER;
      t.finActive = (s[c + C_FLAGS] & (fromA ? CF_FIRST_FIN_CLIENT : CF_FIRST_FIN_SERVER)) !== 0;
    }
    if (flags & TH_RST) {
      t.role = TcpRole.Reset;
      state |= TcpState.Reset;
    } else if ((flags & (TH_SYN | TH_ACK)) === TH_SYN) {
      t.role = TcpRole.HandshakeSyn;
      state |= TcpState.SynSeen;
    } else if (flags & TH_SYN) {
      t.role = TcpRole.HandshakeSynAck;
      state |= TcpState.SynAckSeen;
    } else if (flags & TH_FIN) {
      t.role = TcpRole.Fin;
      if (teardownSteps < MAX_TEARDOWN_STEPS) teardownSteps++;
      t.teardownStep = teardownSteps;
      if (!has(s, fwd + F_FLAGS, FF_FIN_SENT)) {
        s[fwd + F_FLAGS] |= FF_FIN_SENT;
        s[fwd + F_FIN_NEXT] = (d.seqRaw + d.payloadLen + 1) >>> 0;
      }
      state |= fromA ? TcpState.FinFromClient : TcpState.FinFromServer;
    } else if (fromA && (state & (TcpState.SynAckSeen | TcpState.Established)) === TcpState.SynAckSeen &&
      has(s, server + F_FLAGS, FF_SAW_SYN) && d.ackRaw === ((s[server + F_BASE_SEQ] + 1) >>> 0)) {
      t.role = TcpRole.HandshakeAck;
      state |= TcpState.Established;
    } else if (ackedFin && d.payloadLen === 0) {
      t.role = TcpRole.FinAck;
      if (teardownSteps < MAX_TEARDOWN_STEPS) teardownSteps++;
      t.teardownStep = teardownSteps;
    } else {
      t.role = d.payloadLen > 0 ? TcpRole.Data : TcpRole.Ack;
    }
    if (has(s, c + FLOW_CLIENT + F_FLAGS, FF_FIN_ACKED) && has(s, server + F_FLAGS, FF_FIN_ACKED)) state |= TcpState.Closed;
    s[c + C_STATE] = (state | (teardownSteps << TEARDOWN_SHIFT)) >>> 0;
    t.state = state;
  }

  /**
   * Wireshark's SOCKS dissector opens a TCP conversation for the proxied connection when the client
   * asks for one, and that conversation takes a tcp.stream index; so does tcpwatch, to keep the same
   * numbering.
   */
  private socks(d: Dissection, s: Uint32Array, c: number): void {
    const p = d.payloadOff, b = d.buf;
    // SOCKS4 CONNECT (version 4, command 1) or SOCKS5 CONNECT request (version 5, command 1, reserved 0).
    if (d.payloadCapLen >= 8 && b[p] === 4 && b[p + 1] === 1) s[c + C_FLAGS] |= CF_SOCKS_SEEN;
    else if (d.payloadCapLen >= 7 && b[p] === 5 && b[p + 1] === 1 && b[p + 2] === 0) s[c + C_FLAGS] |= CF_SOCKS_SEEN;
    if (has(s, c + C_FLAGS, CF_SOCKS_SEEN)) this.nextIndex++;
  }
}

/**
 * Whether a segment needs its connection's server flow: one from the server, and any from the client
 * that acknowledges, carries data or closes. A client's bare SYN (or RST, or a segment of no flags)
 * only reads the server's flow at its starting values, and writes it once, which
 * CF_SERVER_WS_NONE keeps (scanSynOptions).
 */
function serverFlowNeeded(fromA: boolean, flags: number, seglen: number): boolean {
  return !fromA || seglen > 0 || (flags & (TH_ACK | TH_FIN)) !== 0;
}

/**
 * What a segment adds to its conversation's completeness (tcp.completeness): the SYN, the SYN/ACK, a
 * bare ACK, data, a FIN, a reset.
 */
function completenessOf(flags: number, seglen: number): number {
  let bits = 0;
  if (flags & TH_SYN) bits |= flags & TH_ACK ? TcpCompleteness.SynAck : TcpCompleteness.Syn;
  else if ((flags & TH_ACK) && seglen === 0) bits |= TcpCompleteness.Ack;
  if (seglen > 0) bits |= TcpCompleteness.Data;
  if (flags & TH_FIN) bits |= TcpCompleteness.Fin;
  if (flags & TH_RST) bits |= TcpCompleteness.Rst;
  return bits;
}

/** The SYN's options: window scale (with Wireshark's check that both sides offered it) and AccECN. */
function scanSynOptions(d: Dissection, b: RowBlock, c: number, fwd: number, rev: number): void {
  const s = b.s, si = b.si;
  if (d.optWscale >= 0) si[fwd + F_WIN_SCALE] = Math.min(d.optWscale, MAX_WSCALE_SHIFT);
  if (hasAccEcnOption(d)) s[c + C_FLAGS] |= CF_ACCECN_OPTION;
  const isSynAck = (d.tcpFlags & TH_ACK) !== 0;
  if (si[fwd + F_WIN_SCALE] === WS_UNKNOWN) {
    // No scale option from this side: neither side scales (RFC 7323 §2.2). A server flow not made
    // yet starts so when it is.
    si[fwd + F_WIN_SCALE] = WS_NONE;
    if (rev === ABSENT_FLOW) s[c + C_FLAGS] |= CF_SERVER_WS_NONE;
    else si[rev + F_WIN_SCALE] = WS_NONE;
  } else if (isSynAck && si[rev + F_WIN_SCALE] === WS_NONE) {
    si[fwd + F_WIN_SCALE] = WS_NONE;
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
 * duplicate-ACK and RTT results, and moves the flows' state on. `fwd` and `rev` are the sending and
 * receiving flows' offsets in the connection's row (at `c` in `s`).
 */
function analyzeSequence(d: Dissection, b: RowBlock, c: number, fwd: number, rev: number, seq: number, ack: number, seglen: number, flags: number, window: number, pool: SegmentPool): void {
  const s = b.s, si = b.si, sw = b.sw;
  const t = d.tcp;
  const frame = d.number;
  const sec = d.tsSec, nsec = d.tsNsec;
  let f = t.flags;
  const SFR = TH_SYN | TH_FIN | TH_RST;
  const fwdNextSeq = s[fwd + F_NEXT_SEQ], fwdLastAck = s[fwd + F_LAST_ACK], fwdWindow = s[fwd + F_WINDOW];
  const revWindow = s[rev + F_WINDOW], revLastAck = s[rev + F_LAST_ACK];
  if (flags & TH_ACK) s[rev + F_FLAGS] &= ~FF_BIF_INVALID;

  // Zero window probe: one byte at the next expected sequence number into a closed window. The
  // checks up to the duplicate ACK do not apply to it.
  if (seglen === 1 && seq === fwdNextSeq && revWindow === 0) {
    f |= AF.ZeroWindowProbe;
  } else {
    if (window === 0 && (flags & SFR) === 0) f |= AF.ZeroWindow;
    // Lost segment: this one starts beyond everything seen so far.
    if (fwdNextSeq !== 0 && gtSeq(seq, fwdNextSeq) && (flags & TH_RST) === 0) {
      f |= AF.LostSegment;
      s[fwd + F_FLAGS] |= FF_BIF_INVALID;
    }
    // Keep-alive: 0 or 1 byte, one before the next expected sequence number.
    if ((seglen === 0 || seglen === 1) && seq === ((fwdNextSeq - 1) >>> 0) && (flags & SFR) === 0) f |= AF.KeepAlive;
    // Window update: same seq/ack as before, a new non-zero window.
    if (seglen === 0 && window !== 0 && window !== fwdWindow && seq === fwdNextSeq && ack === fwdLastAck && (flags & SFR) === 0) f |= AF.WindowUpdate;
    // Window full: the data reaches the right edge of the receiver's advertised window.
    const revScale = si[rev + F_WIN_SCALE];
    if (seglen > 0 && revScale !== WS_UNKNOWN && (flags & SFR) === 0) {
      const shift = has(s, rev + F_FLAGS, FF_FIRST_ACK) ? 0 : (revScale === WS_NONE ? 0 : revScale);
      if (((seq + seglen) >>> 0) === ((revLastAck + ((revWindow << shift) >>> 0)) >>> 0)) f |= AF.WindowFull;
    }
    // The same empty segment again: a keep-alive's ACK, a zero window probe's ACK, or a duplicate ACK.
    const repeated = seglen === 0 && window === fwdWindow && seq === fwdNextSeq && ack === fwdLastAck && (flags & SFR) === 0;
    const revLastFlags = s[rev + F_LAST_SEGMENT_FLAGS];
    if (repeated && window !== 0 && (revLastFlags & AF.KeepAlive)) {
      f |= AF.KeepAliveAck;
    } else if (repeated && window === 0 && (revLastFlags & AF.ZeroWindowProbe)) {
      f |= AF.ZeroWindowProbeAck;
    } else if (repeated && window !== 0) {
      // -1 marks a direction whose ACKed-unseen report was already made (see below).
      const num = si[fwd + F_DUP_ACK_NUM] === -1 ? 1 : si[fwd + F_DUP_ACK_NUM] + 1;
      si[fwd + F_DUP_ACK_NUM] = num;
      f |= AF.DuplicateAck;
      t.duplicateAckNum = num;
      t.dupAckOf = s[fwd + F_LAST_NON_DUP_ACK];
    }
  }
  if (ack !== fwdLastAck) {
    s[fwd + F_LAST_NON_DUP_ACK] = frame;
    si[fwd + F_DUP_ACK_NUM] = 0;
  }

  // ACKed unseen segment: this acknowledges more than the peer was seen to send. Reported once:
  // the mark moves to what the peer sent, and while the peer sends only bare ACKs the report is
  // not repeated.
  const revMaxToBeAcked = s[rev + F_MAX_SEQ_TO_BE_ACKED];
  if (revMaxToBeAcked !== 0 && gtSeq(ack, revMaxToBeAcked) && (flags & TH_ACK)) {
    // Wireshark makes the segment's analysis record here even when the finding is not repeated.
    t.analysed = true;
    if (ltSeq(revMaxToBeAcked, s[rev + F_NEXT_SEQ])) {
      s[rev + F_MAX_SEQ_TO_BE_ACKED] = s[rev + F_NEXT_SEQ];
      f |= AF.AckedUnseen;
    } else {
      if (si[rev + F_DUP_ACK_NUM] === 0) f |= AF.AckedUnseen;
      si[rev + F_DUP_ACK_NUM] = -1;
    }
  }

  // Retransmission, fast retransmission, spurious retransmission or out-of-order: a segment with
  // data (or SYN/FIN) that does not advance the sequence number.
  if ((seglen > 0 || (flags & (TH_SYN | TH_FIN))) && (f & AF.KeepAlive) === 0) {
    let seqNotAdvanced = fwdNextSeq !== 0 && ltSeq(seq, fwdNextSeq);
    // More than one byte right after a possible zero window probe adds new data.
    if (seglen > 1 && ((fwdNextSeq - 1) >>> 0) === seq) seqNotAdvanced = false;
    const synFin = flags & (TH_SYN | TH_FIN) ? 1 : 0;
    const rttNs = firstRttNs(b, c);
    if (seglen > 0 && revLastAck !== 0 && leSeq((seq + seglen) >>> 0, revLastAck)) {
      // Everything in it was already acknowledged.
      f |= AF.SpuriousRetransmission;
    } else if (seqNotAdvanced && si[rev + F_DUP_ACK_NUM] >= 2 && revLastAck === seq &&
      nsSince(sec, nsec, sw[(rev + F_LAST_ACK_SEC) >> 1], s[rev + F_LAST_ACK_NSEC]) < FAST_RETRANSMISSION_NS) {
      // After two or more duplicate ACKs asking for it, within 20 ms of the last.
      f |= AF.FastRetransmission;
    } else if (seqNotAdvanced && nsSince(sec, nsec, sw[(fwd + F_NEXT_SEQ_SEC) >> 1], s[fwd + F_NEXT_SEQ_NSEC]) < (rttNs > 0 ? rttNs : DEFAULT_OOO_THRESHOLD_NS) &&
      fwdNextSeq !== ((seq + seglen + synFin) >>> 0)) {
      // Soon after the highest segment (within the handshake RTT), and not a plain repeat of the
      // last one. Data that closes a gap a bare ACK already stepped over (seq + len is that ACK's
      // seq) is a retransmission to tshark 4.0.17, however soon it comes (the crafted scenario
      // reordered-past-bare-ack records it); so is a repeated SYN/ACK or FIN.
      f |= AF.OutOfOrder;
    } else if (seqNotAdvanced) {
      f |= AF.Retransmission;
      // The retransmission timeout: from the oldest segment still unacknowledged (the one most
      // likely resent), or from the highest segment when none is held.
      let rs = sw[(fwd + F_NEXT_SEQ_SEC) >> 1], rn = s[fwd + F_NEXT_SEQ_NSEC];
      t.rtoFrame = s[fwd + F_NEXT_SEQ_FRAME];
      if (s[fwd + F_SEG_COUNT] > 0) {
        const o = si[fwd + F_SEG_OFF];
        t.rtoFrame = pool.a[o + SG_FRAME];
        rs = pool.w[(o + SG_SEC) >> 1];
        rn = pool.a[o + SG_NSEC];
      }
      t.rto = (sec - rs) + (nsec - rn) / 1e9;
      if (t.rto === 0) t.rtoFrame = 0;
    }
  }

  let nextSeq = (seq + seglen) >>> 0;
  if ((seglen > 0 || (flags & (TH_SYN | TH_FIN))) && s[fwd + F_SEG_COUNT] < MAX_UNACKED_SEGMENTS) {
    if (flags & (TH_SYN | TH_FIN)) nextSeq = (nextSeq + 1) >>> 0;
    addSegment(b, fwd, pool, seq, nextSeq, frame, sec, nsec);
  }
  if ((gtSeq(nextSeq, fwdNextSeq) || fwdNextSeq === 0) && (f & AF.ZeroWindowProbe) === 0) {
    s[fwd + F_NEXT_SEQ] = nextSeq;
    s[fwd + F_NEXT_SEQ_FRAME] = frame;
    sw[(fwd + F_NEXT_SEQ_SEC) >> 1] = sec;
    s[fwd + F_NEXT_SEQ_NSEC] = nsec;
  }
  const fwdMaxToBeAcked = s[fwd + F_MAX_SEQ_TO_BE_ACKED];
  if ((seq === fwdMaxToBeAcked || fwdMaxToBeAcked === 0) && (f & AF.ZeroWindowProbe) === 0) {
    s[fwd + F_MAX_SEQ_TO_BE_ACKED] = s[fwd + F_NEXT_SEQ];
  }
  s[fwd + F_WINDOW] = window;
  s[fwd + F_LAST_ACK] = ack;
  sw[(fwd + F_LAST_ACK_SEC) >> 1] = sec;
  s[fwd + F_LAST_ACK_NSEC] = nsec;
  s[fwd + F_LAST_SEGMENT_FLAGS] = f;

  // Drop the peer's segments this acknowledges; an exact match gives the ACK's round-trip time
  // (the oldest such segment wins, as in Wireshark's newest-first list).
  const n = s[rev + F_SEG_COUNT];
  if (n > 0) {
    const a = pool.a, base = si[rev + F_SEG_OFF];
    let kept = 0;
    let acked = -1;
    // Walk newest first, as Wireshark's list: a partial acknowledgement trims a segment's start.
    for (let o = base + (n - 1) * SEG_FIELDS; o >= base; o -= SEG_FIELDS) {
      if (ack === a[o + SG_NEXT]) { acked = o; continue; }
      if (gtSeq(ack, a[o + SG_SEQ]) && leSeq(ack, a[o + SG_NEXT])) a[o + SG_SEQ] = ack;
    }
    if (acked >= 0) {
      t.acksFrame = a[acked + SG_FRAME];
      t.ackRtt = (sec - pool.w[(acked + SG_SEC) >> 1]) + (nsec - a[acked + SG_NSEC]) / 1e9;
    }
    // Keep, in order, the segments that end beyond this acknowledgement.
    for (let i = 0; i < n; i++) {
      const o = base + i * SEG_FIELDS;
      if (ack !== a[o + SG_NEXT] && gtSeq(a[o + SG_NEXT], ack)) {
        if (kept !== i) a.copyWithin(base + kept * SEG_FIELDS, o, o + SEG_FIELDS);
        kept++;
      }
    }
    if (kept === 0) releaseSegments(b, rev, pool);
    else s[rev + F_SEG_COUNT] = kept;
  }
  if (seglen !== 0 && s[fwd + F_SEG_COUNT] > 0 && !has(s, fwd + F_FLAGS, FF_BIF_INVALID)) {
    bytesInFlight(d, b, fwd, rev, seglen, flags, pool);
    t.analysed = true;
  }
  t.flags = f;
  if (f !== 0 || t.acksFrame > 0) t.analysed = true;
}

/**
 * Bytes in flight once this segment is sent: from the lowest start to the highest end of the
 * sender's unacknowledged segments, less the bytes the peer's latest SACK reported; and the bytes
 * sent since the last PSH, which Wireshark counts only here.
 */
function bytesInFlight(d: Dissection, b: RowBlock, fwd: number, rev: number, seglen: number, flags: number, pool: SegmentPool): void {
  const s = b.s, si = b.si, sw = b.sw;
  const a = pool.a, base = si[fwd + F_SEG_OFF], n = s[fwd + F_SEG_COUNT], seqBase = s[fwd + F_BASE_SEQ];
  let first = (a[base + SG_SEQ] - seqBase) >>> 0, last = (a[base + SG_NEXT] - seqBase) >>> 0;
  for (let o = base + SEG_FIELDS, end = base + n * SEG_FIELDS; o < end; o += SEG_FIELDS) {
    const lo = (a[o + SG_SEQ] - seqBase) >>> 0, hi = (a[o + SG_NEXT] - seqBase) >>> 0;
    if (lo < first) first = lo;
    if (hi > last) last = hi;
  }
  const inFlight = (last - first - s[rev + F_SACK_BYTES]) >>> 0;
  const t = d.tcp;
  if (inFlight > 0 && inFlight < MAX_BYTES_IN_FLIGHT) t.bytesInFlight = flags & (TH_SYN | TH_FIN) ? inFlight - 1 : inFlight;
  const push = (flags & TH_PSH) !== 0, pushLast = has(s, fwd + F_FLAGS, FF_PUSH_LAST);
  // A segment after one with PSH starts the count again.
  sw[(fwd + F_PUSH_BYTES) >> 1] = pushLast ? seglen : sw[(fwd + F_PUSH_BYTES) >> 1] + seglen;
  setBit(s, fwd + F_FLAGS, FF_PUSH_LAST, push);
  t.pushBytesSent = sw[(fwd + F_PUSH_BYTES) >> 1];
}

/** Bytes covered by the SACK blocks Wireshark keeps for bytes in flight (32-bit wrap-around, as its sum). */
function sackBytes(d: Dissection): number {
  let sum = 0;
  const n = Math.min(d.sackCount, SACK_BLOCKS_KEPT);
  for (let i = 0; i < n; i++) sum = (sum + d.buf.readUInt32BE(d.sackOff[i] + 4) - d.buf.readUInt32BE(d.sackOff[i])) >>> 0;
  return sum;
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
