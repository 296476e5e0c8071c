// Small TCP conversations built byte by byte, each provoking the findings of Wireshark's sequence
// analysis (lost and ACKed-unseen segments, duplicate ACKs and fast retransmissions, out-of-order,
// spurious and plain retransmissions, keep-alives, zero windows and probes, window updates and full
// windows, reused ports, SACK edges, Accurate ECN). scripts/gen-tcp-analysis-golden.ts writes them
// as pcap files and records what tshark reads; test/analysis-tshark.test.ts checks tcpwatch's reading.

export const LINKTYPE_ETHERNET = 1;

export interface ScenarioFrame {
  tsSec: number;
  tsNsec: number;
  /** The captured bytes; origLen is the length on the wire (more when a snapshot length cut it). */
  bytes: Buffer;
  origLen: number;
}

export interface Seg {
  /** Seconds after the previous segment. */
  dt: number;
  from: 'C' | 'S';
  seq: number;
  ack: number;
  flags: number;
  win: number;
  len: number;
  opts?: number[];
  /** Payload bytes (default: len letters). */
  data?: Buffer;
  /** Bytes actually captured of the payload (a snapshot length cut), default all. */
  capLen?: number;
}

// TCP flag bits (RFC 9293 §3.1, RFC 9768 for AE)
export const F = 0x001, S = 0x002, R = 0x004, P = 0x008, A = 0x010, ECE = 0x040, CWR = 0x080, AE = 0x100;

const WS2 = [3, 3, 2];
const WS7 = [1, 3, 3, 7];

/** Frames of one TCP conversation between 10.0.0.1 (C) and 10.0.0.2 (S), or 2001::1 and 2001::2. */
export class Builder {
  readonly frames: ScenarioFrame[] = [];
  private t = 1_700_000_000 * 1e6; // microseconds
  constructor(private readonly v6: boolean, private cport: number, private readonly sport: number) {}

  port(p: number): this {
    this.cport = p;
    return this;
  }

  seg(s: Seg): this {
    this.t += Math.round(s.dt * 1e6);
    const opts = s.opts ?? [];
    const optLen = (opts.length + 3) & ~3;
    const tcpLen = 20 + optLen;
    const ipLen = this.v6 ? 40 : 20;
    const b = Buffer.alloc(14 + ipLen + tcpLen + Math.min(s.len, s.capLen ?? s.len));
    b.writeUInt16BE(this.v6 ? 0x86dd : 0x0800, 12);
    const ip = 14;
    const fromC = s.from === 'C';
    if (this.v6) {
      b.writeUInt32BE(0x60000000, ip);
      b.writeUInt16BE(tcpLen + s.len, ip + 4);
      b[ip + 6] = 6;
      b[ip + 7] = 64;
      b.writeUInt16BE(0x2001, ip + 8);
      b[ip + 23] = fromC ? 1 : 2;
      b.writeUInt16BE(0x2001, ip + 24);
      b[ip + 39] = fromC ? 2 : 1;
    } else {
      b[ip] = 0x45;
      b.writeUInt16BE(ipLen + tcpLen + s.len, ip + 2);
      b.writeUInt16BE(0x4000, ip + 6);
      b[ip + 8] = 64;
      b[ip + 9] = 6;
      b.writeUInt32BE(fromC ? 0x0a000001 : 0x0a000002, ip + 12);
      b.writeUInt32BE(fromC ? 0x0a000002 : 0x0a000001, ip + 16);
    }
    const t = ip + ipLen;
    b.writeUInt16BE(fromC ? this.cport : this.sport, t);
    b.writeUInt16BE(fromC ? this.sport : this.cport, t + 2);
    b.writeUInt32BE(s.seq >>> 0, t + 4);
    b.writeUInt32BE(s.ack >>> 0, t + 8);
    b.writeUInt16BE(((tcpLen / 4) << 12) | s.flags, t + 12);
    b.writeUInt16BE(s.win, t + 14);
    for (let i = 0; i < optLen; i++) b[t + 20 + i] = i < opts.length ? opts[i] : 1;
    const cap = Math.min(s.len, s.capLen ?? s.len);
    if (s.data) s.data.copy(b, t + tcpLen, 0, cap);
    else for (let i = 0; i < cap; i++) b[t + tcpLen + i] = 0x41 + (i % 26);
    this.frames.push({ tsSec: Math.floor(this.t / 1e6), tsNsec: (this.t % 1e6) * 1000, bytes: b, origLen: 14 + ipLen + tcpLen + s.len });
    return this;
  }
}

/** Shorthand: dt, from, seq, ack, flags, window, payload length, options. */
export function seg(dt: number, from: 'C' | 'S', seq: number, ack: number, flags: number, win: number, len: number, opts?: number[]): Seg {
  return { dt, from, seq, ack, flags, win, len, opts };
}

function sack(...edges: number[]): number[] {
  const o = [1, 1, 5, 2 + 4 * edges.length];
  for (const e of edges) o.push((e >>> 24) & 255, (e >>> 16) & 255, (e >>> 8) & 255, e & 255);
  return o;
}

export interface Scenario {
  name: string;
  frames: ScenarioFrame[];
}

export function scenarios(): Scenario[] {
  const out: Scenario[] = [];

  // Findings one after the other on one connection (window scale 2 both ways), then port reuse.
  const b = new Builder(false, 40000, 33333);
  for (const s of [
    seg(0, 'C', 100, 0, S, 1000, 0, WS2),
    seg(0.01, 'S', 500, 101, S | A, 2000, 0, WS2),
    seg(0.01, 'C', 101, 501, A, 1000, 0),
    seg(0.001, 'C', 101, 501, P | A, 1000, 100),
    seg(0.001, 'C', 201, 501, P | A, 1000, 100),
    seg(0.001, 'C', 401, 501, P | A, 1000, 100), // previous segment not captured
    seg(0.001, 'S', 501, 301, A, 2000, 0),
    seg(0.001, 'S', 501, 301, A, 2000, 0), // dup ACK #1
    seg(0.001, 'S', 501, 301, A, 2000, 0), // dup ACK #2
    seg(0.001, 'C', 301, 501, P | A, 1000, 100), // fast retransmission
    seg(0.001, 'S', 501, 501, A, 2000, 0),
    seg(0.5, 'C', 401, 501, P | A, 1000, 100), // spurious retransmission
    seg(0.001, 'C', 501, 501, P | A, 1000, 100),
    seg(0.001, 'C', 601, 501, P | A, 1000, 100),
    seg(0.001, 'C', 501, 501, P | A, 1000, 100), // out-of-order
    seg(0.5, 'C', 601, 501, P | A, 1000, 100), // retransmission
    seg(0.001, 'S', 501, 701, A, 2000, 0),
    seg(1, 'C', 700, 501, A, 1000, 0), // keep-alive
    seg(0.001, 'S', 501, 701, A, 2000, 0), // keep-alive ACK
    seg(0.001, 'S', 501, 701, A, 0, 0), // zero window
    seg(0.001, 'C', 701, 501, P | A, 1000, 1), // zero window probe
    seg(0.001, 'S', 501, 701, A, 0, 0), // its ACK
    seg(0.001, 'S', 501, 701, A, 3000, 0), // window update
    seg(0.001, 'S', 501, 701, A, 25, 0), // window update to 100 bytes
    seg(0.001, 'C', 701, 501, P | A, 1000, 100), // window full
    seg(0.001, 'S', 501, 901, A, 2000, 0), // ACKed unseen segment
    seg(0.001, 'S', 501, 901, F | A, 2000, 0),
    seg(0.001, 'C', 901, 502, A, 1000, 0),
    seg(0.001, 'C', 901, 502, F | A, 1000, 0),
    seg(0.001, 'S', 502, 902, A, 2000, 0),
    seg(1, 'C', 5000, 0, S, 1000, 0), // ports reused
    seg(0.01, 'S', 9000, 5001, S | A, 2000, 0),
    seg(0.01, 'C', 5001, 9001, A, 1000, 0),
    seg(0.001, 'C', 5001, 9001, P | A, 1000, 50),
    seg(0.001, 'C', 5001, 9001, P | A, 1000, 50),
    seg(0.001, 'S', 9001, 5051, A, 2000, 0),
    seg(0.002, 'C', 5001, 9001, P | A, 1000, 50),
    seg(0.01, 'S', 9050, 5051, A, 2000, 0),
    seg(0.01, 'S', 9500, 5051, A, 2000, 0),
    seg(0.01, 'S', 7000, 5051, S | A, 2000, 0), // SYN/ACK with another ISN
    seg(0.01, 'C', 5001, 9001, R | A, 1000, 0),
    seg(1, 'C', 5000, 0, S, 1000, 0), // same ISN after RST: a retransmission, not a new stream
    seg(0.01, 'S', 9000, 5001, S | A, 2000, 0),
    seg(1, 'C', 5000, 0, S, 1000, 0),
  ]) b.seg(s);
  b.port(40001).seg(seg(0.1, 'C', 7, 0, A, 1000, 10)); // no SYN captured
  b.seg(seg(0.1, 'C', 3, 0, S, 1000, 0)); // then a SYN with another ISN
  b.seg(seg(0.1, 'C', 3, 5, R, 0, 0)); // RST without ACK: tcp.ack shows the raw field
  out.push({ name: 'findings', frames: b.frames });

  // ACKed unseen segments, reported once while the peer sends only bare ACKs.
  const u = new Builder(false, 40002, 33333);
  for (const s of [
    seg(0, 'C', 100, 0, S, 1000, 0),
    seg(0.01, 'S', 500, 101, S | A, 2000, 0),
    seg(0.01, 'C', 101, 501, A, 1000, 0),
    seg(0.01, 'C', 101, 501, P | A, 1000, 100),
    seg(0.01, 'S', 501, 301, A, 2000, 0),
    seg(0.01, 'C', 301, 501, P | A, 1000, 100),
    seg(0.01, 'S', 501, 401, A, 2000, 0),
    seg(0.01, 'C', 401, 501, A, 1000, 0),
    seg(0.01, 'S', 501, 501, A, 2000, 0),
    seg(0.01, 'C', 501, 501, P | A, 1000, 100),
    seg(0.01, 'S', 501, 601, A, 2000, 0),
    seg(0.01, 'S', 501, 701, A, 2000, 0),
    seg(0.01, 'C', 701, 501, F | A, 1000, 0),
    seg(0.01, 'S', 501, 702, A, 2000, 0),
  ]) u.seg(s);
  out.push({ name: 'acked-unseen', frames: u.frames });

  // IPv6, window scale 7: the calculated window in Info; SACK edges relative; FIN retransmitted.
  const v = new Builder(true, 40003, 443);
  for (const s of [
    seg(0, 'C', 1000, 0, S, 64240, 0, [2, 4, 5, 0xb4, ...WS7, 1, 1, 4, 2]),
    seg(0.02, 'S', 70000, 1001, S | A, 65535, 0, [2, 4, 5, 0xb4, 1, 1, 4, 2, ...WS7]),
    seg(0.02, 'C', 1001, 70001, A, 502, 0),
    seg(0.001, 'S', 70001, 1001, A, 500, 1000),
    seg(0.001, 'S', 71001, 1001, A, 500, 1000),
    seg(0.001, 'S', 73001, 1001, A, 500, 1000), // previous segment not captured
    seg(0.001, 'C', 1001, 72001, A, 502, 0),
    seg(0.001, 'C', 1001, 72001, A, 502, 0, sack(73001, 74001)), // dup ACK with SACK
    seg(0.001, 'C', 1001, 72001, A, 502, 0, sack(73001, 74001)),
    seg(0.001, 'S', 72001, 1001, A, 500, 1000), // fast retransmission
    seg(0.001, 'C', 1001, 74001, A, 502, 0),
    seg(0.001, 'S', 74001, 1001, F | A, 500, 0),
    seg(0.3, 'S', 74001, 1001, F | A, 500, 0), // FIN retransmitted
    seg(0.001, 'C', 1001, 74002, F | A, 502, 0),
    seg(0.001, 'S', 74002, 1002, A, 500, 0),
  ]) v.seg(s);
  out.push({ name: 'ipv6-sack', frames: v.frames });

  // Accurate ECN negotiated in the handshake: AE/CWR/ECE read as the ACE counter afterwards.
  const e = new Builder(false, 40004, 33333);
  for (const s of [
    seg(0, 'C', 10, 0, S | AE | CWR | ECE, 1000, 0),
    seg(0.01, 'S', 20, 11, S | A | CWR, 1000, 0),
    seg(0.01, 'C', 11, 21, A | CWR, 1000, 0),
    seg(0.01, 'C', 11, 21, P | A | AE | ECE, 1000, 5),
    seg(0.01, 'S', 21, 16, A | AE | CWR | ECE, 1000, 0),
  ]) e.seg(s);
  out.push({ name: 'accecn', frames: e.frames });

  // A segment held back behind the sender's bare ACK (a reordering link): the ACK's seq already
  // steps over it, and when it arrives, soon after (within the handshake's 20 ms RTT), it ends
  // exactly there. tshark 4.0 calls it a retransmission, not out-of-order (iperf3 through the
  // lossy link of test/lossy-tcp.test.ts showed it).
  const r = new Builder(false, 40005, 5201);
  for (const s of [
    seg(0, 'C', 100, 0, S, 1000, 0),
    seg(0.01, 'S', 500, 101, S | A, 2000, 0),
    seg(0.01, 'C', 101, 501, A, 1000, 0),
    seg(0.001, 'C', 101, 501, A, 1000, 100),
    seg(0.001, 'C', 301, 501, A, 1000, 0), // bare ACK past a segment not yet seen
    seg(0.003, 'C', 201, 501, P | A, 1000, 100), // the segment, reordered
    seg(0.001, 'S', 501, 301, A, 2000, 0),
  ]) r.seg(s);
  out.push({ name: 'reordered-past-bare-ack', frames: r.frames });
  return out;
}

/** The fields compared with tshark, in the order of the golden rows. */
export const GOLDEN_FIELDS = [
  'frame.number', 'tcp.stream', 'tcp.seq', 'tcp.ack', 'tcp.nxtseq', 'tcp.len', 'tcp.window_size', 'tcp.flags.str',
  'tcp.analysis.flags', 'tcp.analysis.duplicate_ack_num', 'tcp.analysis.duplicate_ack_frame', 'tcp.analysis.acks_frame',
  'tcp.analysis.ack_rtt', '_ws.col.Info',
];
