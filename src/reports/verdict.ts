// Per TCP stream: can a person read what travelled? A verdict (plaintext, encrypted, decrypted,
// encrypted-without-keys, or opaque: high entropy in a protocol tcpwatch does not know) decided
// from the TLS analysis of the stream (records seen, their protection, what the decryptor made of
// each), and the Shannon entropy of the payload bytes as evidence: ciphertext measures close to
// 8 bits per byte, text far less.
//
// Entropy comes from 256 byte counters per direction of each stream that carries payload, filled
// as segments go by; no payload is kept. Each direction's first MEASURE_LIMIT bytes are counted:
// counting is the one per-byte cost of this stage (about 2–4 ns a byte), and a sample that size
// already tells ciphertext (within 0.01 of 8 bits) from text, so a bulk transfer costs no more
// than a short exchange. Counters live in pooled blocks and go back to the pool when the
// connection closes, its entropy frozen at that point; at most MAX_MEASURED streams are measured
// at once (beyond that a stream's entropy says "not measured").
//
// Runs after the TLS dissector and the decryptor (src/tls/analyzer.ts, src/tls/decrypt-analyzer.ts).
// Results are kept per stream in a StreamVerdicts table of typed arrays, which the packet index
// mirrors (src/store/) for the conversations view, and which src/reports/verdict-fields.ts reads.

import { Dissection, Slot } from '../decode/dissection';
import type { Analyzer } from '../pipeline';
import { carriesEncryptedProtocol, PROTO_LABELS, topRegisteredLayer } from '../decode/protocol-registry';
import type { CaptureFileReader } from '../capture/file-reader';
import { registerStage, MainOptions } from '../hooks';
import '../tls/decrypt-analyzer'; // registers the 'tls' and 'tls-decrypt' stages this one runs after
import { TcpAnalysisFlag as AF, TcpState } from '../analysis/tcp-analysis';
import { MsgFlag, RecordFlag, SegmentRole } from '../tls/tls-info';
import { decryptInfoOf, STATUS_NONE } from '../tls/decrypt-info';
import { RecordStatus } from '../tls/decrypt';
import { ContentType, VERSION_NAMES } from '../tls/records';
import { HandshakeType } from '../tls/handshake';

export const enum Verdict {
  /** No payload in either direction (yet). */
  NoPayload = 0,
  /** Not TLS, and not random-looking: the bytes mean what they say. */
  Plaintext = 1,
  /** TLS: handshake only so far, or protected records that were neither all decrypted nor all keyless (tampered, unsupported suite, a partial key log). */
  Encrypted = 2,
  /** TLS, and every protected record was decrypted and verified with the key log. */
  Decrypted = 3,
  /** TLS, and no protected record could be decrypted for want of keys (no key log, or none for this session). */
  EncryptedWithoutKeys = 4,
  /** Not TLS, yet the bytes measure like random data: encrypted or compressed in a protocol tcpwatch does not dissect. */
  Opaque = 5,
}

export const VERDICT_NAMES = ['no-payload', 'plaintext', 'encrypted', 'decrypted', 'encrypted-without-keys', 'opaque'];

/** Entropy of a stream that was not measured (no payload, or the counter pool was full). */
export const NOT_MEASURED = -1;

/** Bytes per direction below which entropy cannot tell random bytes from text. */
const OPAQUE_MIN_BYTES = 128;
/** How far below the expected entropy of random bytes a stream may measure and still be called opaque. */
const OPAQUE_MARGIN = 0.5;
/** Streams measured at once: 16384 × 2 KiB of counters = 32 MiB at most. */
const MAX_MEASURED = 16384;
const SLOTS_PER_BLOCK = 64;
const SLOT_WORDS = 512; // 256 counters per direction
/** Bytes counted per direction of a stream (see the top of the file); also keeps every counter within a table lookup of c·log2 c. */
export const MEASURE_LIMIT = 64 * 1024;

/** state bit: a frame of the stream carried a protocol that encrypts its sessions (SSH), which its bytes alone would call opaque. */
const ENCRYPTED_PROTOCOL = 8;
const RETRANSMITTED = AF.Retransmission | AF.FastRetransmission | AF.SpuriousRetransmission | AF.KeepAlive;
const CLOSED = TcpState.Closed | TcpState.Reset;

// c·log2 c for every count a stream's counters can reach, one direction or both together.
const CLOG = new Float64Array(2 * MEASURE_LIMIT + 1);
for (let c = 2; c <= 2 * MEASURE_LIMIT; c++) CLOG[c] = c * Math.log2(c);
const clog = (c: number): number => (c <= 2 * MEASURE_LIMIT ? CLOG[c] : c * Math.log2(c));

/** 1 for bytes that are text: printable ASCII, tab, LF, CR. */
const TEXT_BYTE = new Uint8Array(256);
for (let b = 0x20; b < 0x7f; b++) TEXT_BYTE[b] = 1;
TEXT_BYTE[0x09] = TEXT_BYTE[0x0a] = TEXT_BYTE[0x0d] = 1;

/** Shannon entropy in bits per byte of the 256 counters at `off`: H = log2 N − (1/N)·Σ c·log2 c. */
export function entropyOf(counts: ArrayLike<number>, off: number): number {
  let n = 0, s = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[off + b];
    s += clog(c);
    n += c;
  }
  return n === 0 ? 0 : Math.max(0, Math.log2(n) - s / n);
}

/**
 * What `n` uniformly random bytes measure on average: less than 8 bits, since a sample of n
 * bytes cannot show all 256 values evenly (log2 n at most). The yardstick an entropy is read against.
 */
export function randomEntropyBaseline(n: number): number {
  if (n <= 1) return 0;
  if (n > 50000) return 8 - 255 / (2 * n * Math.LN2); // Miller–Madow: the bias of the plug-in estimate
  // E[H] = log2 n − (256/n)·E[c·log2 c] with c ~ Binomial(n, 1/256).
  const p = 1 / 256;
  let pc = Math.pow(1 - p, n); // P(c = 0)
  let e = 0;
  const mean = n * p, limit = Math.min(n, Math.ceil(mean + 12 * Math.sqrt(mean) + 24));
  for (let c = 0; c < limit; c++) {
    pc *= ((n - c) / (c + 1)) * (p / (1 - p)); // now P(c + 1)
    const k = c + 1;
    if (k > 1) e += pc * k * Math.log2(k);
  }
  return Math.max(0, Math.log2(n) - (256 / n) * e);
}

/** How a stream's verdict reads: "decrypted (TLS 1.3)", "plaintext", "opaque". */
export function verdictLabel(verdict: Verdict, isTls: boolean, version: number): string {
  const name = VERDICT_NAMES[verdict];
  return isTls ? `${name} (${tlsVersionText(version)})` : name;
}

/** The name of a TLS version as verdicts give it ("TLS 1.3", "SSL 2.0"). */
export function tlsVersionText(v: number): string {
  switch (v) {
    case 0: return 'TLS';
    case 0x0101: return 'TLCP 1.1';
    default: return (v >> 8) === 0x7f ? `TLS 1.3 draft ${v & 0xff}` : VERSION_NAMES[v] ?? `TLS (version 0x${v.toString(16).padStart(4, '0')})`;
  }
}

/** The verdict columns, wherever they are kept: indexed by stream here, by slot in the UI's blocks. */
export interface VerdictColumns {
  verdict: ArrayLike<number>;
  version: ArrayLike<number>;
  isTls: ArrayLike<number>;
  /** The registered protocol (HTTP, DNS, SSH …) a frame of the stream carried, 0 for none. */
  app: ArrayLike<number>;
  protectedRecords: ArrayLike<number>;
  decryptedRecords: ArrayLike<number>;
  noKeyRecords: ArrayLike<number>;
  bytesC: ArrayLike<number>;
  bytesS: ArrayLike<number>;
  measuredC: ArrayLike<number>;
  measuredS: ArrayLike<number>;
  entropyC: ArrayLike<number>;
  entropyS: ArrayLike<number>;
  entropyAll: ArrayLike<number>;
  textShare: ArrayLike<number>;
}

/** Stream `stream`'s row from slot `j` of the columns `c`. */
export function verdictRowAt(c: VerdictColumns, j: number, stream: number): StreamVerdictRow {
  return {
    stream,
    verdict: c.verdict[j] as Verdict,
    protocol: c.isTls[j] ? tlsVersionText(c.version[j]) : c.app[j] !== 0 ? PROTO_LABELS[c.app[j]] ?? '' : '',
    protectedRecords: c.protectedRecords[j],
    decryptedRecords: c.decryptedRecords[j],
    noKeyRecords: c.noKeyRecords[j],
    bytes: [c.bytesC[j], c.bytesS[j]],
    measured: [c.measuredC[j], c.measuredS[j]],
    entropy: [c.entropyC[j], c.entropyS[j], c.entropyAll[j]],
    textShare: c.textShare[j],
  };
}

/** One stream's verdict and evidence, as the conversations view and --compare show it. */
export interface StreamVerdictRow {
  stream: number;
  verdict: Verdict;
  /** "TLS 1.3", or '' when the stream is not TLS. */
  protocol: string;
  /** TLS records protected (encrypted) on the wire, and how many were decrypted or had no keys. */
  protectedRecords: number;
  decryptedRecords: number;
  noKeyRecords: number;
  /** Payload bytes per direction (client → server, server → client), retransmissions not counted. */
  bytes: [number, number];
  /** Of those, the bytes the entropy was measured over (each direction's first MEASURE_LIMIT). */
  measured: [number, number];
  /** Bits per byte: client → server, server → client, both; NOT_MEASURED when no byte was counted. */
  entropy: [number, number, number];
  /** Share of the measured bytes that are printable ASCII, tab, CR or LF. */
  textShare: number;
}

// Transport layout of one row (a flat array of numbers between the indexing process and the UI).
export const VERDICT_ROW_WIDTH = 14;

/** Streams per page of StreamVerdicts' stream-to-row map. */
const PAGE_BITS = 10;
const PAGE_MASK = (1 << PAGE_BITS) - 1;
const NO_PAGE = new Int32Array(0);

/**
 * Verdicts as parallel typed arrays, one row per stream that carried something to judge (payload,
 * TLS, an application protocol): written by the analyzer, read by the fields, --compare and the
 * indexer. A stream without a row (a SYN flood's connections are all such) reads as no payload,
 * not measured, and costs nothing but its share of a page of the stream-to-row map, which is made
 * only for the 1024 streams around one that has a row.
 */
export class StreamVerdicts {
  /** Streams seen (the highest stream id + 1). */
  count = 0;
  /** Rows made. */
  rowCount = 0;
  private cap = 0;
  /** Stream → row + 1 (0: no row), in pages of 1024 streams. */
  private pages: Int32Array[] = [];
  verdict = new Uint8Array(0);
  version = new Uint16Array(0);
  isTls = new Uint8Array(0);
  app = new Uint8Array(0);
  protectedRecords = new Uint32Array(0);
  decryptedRecords = new Uint32Array(0);
  noKeyRecords = new Uint32Array(0);
  bytesC = new Float64Array(0);
  bytesS = new Float64Array(0);
  measuredC = new Float64Array(0);
  measuredS = new Float64Array(0);
  entropyC = new Float32Array(0);
  entropyS = new Float32Array(0);
  entropyAll = new Float32Array(0);
  textShare = new Float32Array(0);

  /** Stream `stream` was seen: has() is true of it from now on. */
  see(stream: number): void {
    if (stream >= this.count) this.count = stream + 1;
  }

  /** The row of `stream`, -1 when it has none. */
  rowOf(stream: number): number {
    const page = this.pages[stream >>> PAGE_BITS];
    return page === undefined || page === NO_PAGE ? -1 : page[stream & PAGE_MASK] - 1;
  }

  /** The row of `stream`, made (at its starting values) when it has none. */
  rowFor(stream: number): number {
    this.see(stream);
    const pi = stream >>> PAGE_BITS;
    while (this.pages.length <= pi) this.pages.push(NO_PAGE);
    if (this.pages[pi] === NO_PAGE) this.pages[pi] = new Int32Array(1 << PAGE_BITS);
    const page = this.pages[pi];
    if (page[stream & PAGE_MASK] > 0) return page[stream & PAGE_MASK] - 1;
    const j = this.rowCount++;
    if (j >= this.cap) this.grow();
    page[stream & PAGE_MASK] = j + 1;
    return j;
  }

  private grow(): void {
    const cap = Math.max(64, this.cap * 2);
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array>(a: T, make: (n: number) => T, fill?: number): T => {
      const b = make(cap);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.verdict = grow(this.verdict, (n) => new Uint8Array(n));
    this.version = grow(this.version, (n) => new Uint16Array(n));
    this.isTls = grow(this.isTls, (n) => new Uint8Array(n));
    this.app = grow(this.app, (n) => new Uint8Array(n));
    this.protectedRecords = grow(this.protectedRecords, (n) => new Uint32Array(n));
    this.decryptedRecords = grow(this.decryptedRecords, (n) => new Uint32Array(n));
    this.noKeyRecords = grow(this.noKeyRecords, (n) => new Uint32Array(n));
    this.bytesC = grow(this.bytesC, (n) => new Float64Array(n));
    this.bytesS = grow(this.bytesS, (n) => new Float64Array(n));
    this.measuredC = grow(this.measuredC, (n) => new Float64Array(n));
    this.measuredS = grow(this.measuredS, (n) => new Float64Array(n));
    this.entropyC = grow(this.entropyC, (n) => new Float32Array(n), NOT_MEASURED);
    this.entropyS = grow(this.entropyS, (n) => new Float32Array(n), NOT_MEASURED);
    this.entropyAll = grow(this.entropyAll, (n) => new Float32Array(n), NOT_MEASURED);
    this.textShare = grow(this.textShare, (n) => new Float32Array(n));
    this.cap = cap;
  }

  has(stream: number): boolean {
    return stream >= 0 && stream < this.count;
  }

  /** The verdict of a stream seen (NoPayload without a row). */
  verdictOf(stream: number): Verdict {
    const j = this.rowOf(stream);
    return j < 0 ? Verdict.NoPayload : this.verdict[j] as Verdict;
  }

  /** Entropy of both directions together, NOT_MEASURED without a row. */
  entropyAllOf(stream: number): number {
    const j = this.rowOf(stream);
    return j < 0 ? NOT_MEASURED : this.entropyAll[j];
  }

  /** "decrypted (TLS 1.3)", "plaintext", "opaque"; '' for a stream not seen. */
  label(stream: number): string {
    if (!this.has(stream)) return '';
    const j = this.rowOf(stream);
    return j < 0 ? verdictLabel(Verdict.NoPayload, false, 0) : verdictLabel(this.verdict[j] as Verdict, this.isTls[j] !== 0, this.version[j]);
  }

  row(stream: number): StreamVerdictRow | null {
    if (!this.has(stream)) return null;
    const j = this.rowOf(stream);
    return j < 0 ? verdictRowAt(NO_VERDICT, 0, stream) : verdictRowAt(this, j, stream);
  }

  /** Rows of these streams as flat numbers (for the indexing process's progress messages). */
  flat(streams: ArrayLike<number>, n = streams.length): number[] {
    return Array.from(this.flatRows(streams, n));
  }

  /** The same rows as `flat`, in a Float64Array (what travels between the processes). */
  flatRows(streams: ArrayLike<number>, n = streams.length): Float64Array {
    const out = new Float64Array(n * VERDICT_ROW_WIDTH);
    for (let k = 0, o = 0; k < n; k++, o += VERDICT_ROW_WIDTH) {
      const s = streams[k], j = this.rowOf(s);
      const c: VerdictColumns = j < 0 ? NO_VERDICT : this, r = j < 0 ? 0 : j;
      out[o] = s;
      out[o + 1] = c.verdict[r];
      out[o + 2] = c.version[r] | (c.isTls[r] << 16) | (c.app[r] << 17);
      out[o + 3] = c.protectedRecords[r];
      out[o + 4] = c.decryptedRecords[r];
      out[o + 5] = c.noKeyRecords[r];
      out[o + 6] = c.bytesC[r];
      out[o + 7] = c.bytesS[r];
      out[o + 8] = c.measuredC[r];
      out[o + 9] = c.measuredS[r];
      out[o + 10] = round3(c.entropyC[r]);
      out[o + 11] = round3(c.entropyS[r]);
      out[o + 12] = round3(c.entropyAll[r]);
      out[o + 13] = round3(c.textShare[r]);
    }
    return out;
  }
}

/** The one row every stream without a row of its own reads as: no payload, not measured. */
const NO_VERDICT: VerdictColumns = {
  verdict: [Verdict.NoPayload], version: [0], isTls: [0], app: [0], protectedRecords: [0], decryptedRecords: [0], noKeyRecords: [0],
  bytesC: [0], bytesS: [0], measuredC: [0], measuredS: [0], entropyC: [NOT_MEASURED], entropyS: [NOT_MEASURED], entropyAll: [NOT_MEASURED], textShare: [0],
};

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/**
 * The analysis stage: counts bytes and follows TLS protection per stream; verdicts are worked out when
 * asked for. A stream gets a row (and this stage's state beside it) with its first frame that has
 * something to judge: payload not retransmitted, a TLS record, an application protocol.
 */
export class StreamVerdictAnalyzer implements Analyzer {
  readonly rows = new StreamVerdicts();
  // per row of `rows`, grown with them
  private slot = new Int32Array(0);
  /** Bit 0/1: ChangeCipherSpec seen from the client/server (what follows is protected); bit 2: counters released. */
  private state = new Uint8Array(0);
  private dirty = new Uint8Array(0);
  /** Streams whose row changed since drainChanged. */
  private readonly changed: number[] = [];
  // counter pool
  private readonly blocks: Uint32Array[] = [];
  private readonly freeSlots: number[] = [];
  private slotsMade = 0;
  /** Streams whose payload was not measured because MAX_MEASURED streams were open. */
  unmeasuredStreams = 0;

  analyze(d: Dissection): void {
    const st = d.tcp.stream;
    if (d.tcpOff < 0 || st < 0 || d.inIcmpError) return;
    const rows = this.rows;
    let j = rows.rowOf(st);
    if (j < 0) {
      rows.see(st);
      if (!judgeable(d, st)) return;
      j = this.makeRow(st);
    }
    const dir = d.tcp.direction & 1;
    let touched = false;
    if (d.payloadCapLen > 0 && (d.tcp.flags & RETRANSMITTED) === 0) {
      const n = d.payloadCapLen;
      if (dir === 0) rows.bytesC[j] += n;
      else rows.bytesS[j] += n;
      touched = true;
      let slot = this.slot[j];
      if (slot < 0 && (this.state[j] & 4) === 0) slot = this.takeSlot(j);
      const measured = dir === 0 ? rows.measuredC : rows.measuredS;
      const m = slot >= 0 ? Math.min(n, MEASURE_LIMIT - measured[j]) : 0;
      if (m > 0) {
        const h = this.blocks[(slot / SLOTS_PER_BLOCK) | 0];
        const base = (slot % SLOTS_PER_BLOCK) * SLOT_WORDS + (dir << 8);
        countBytes(h, base, d.buf, d.payloadOff, d.payloadOff + m);
        measured[j] += m;
      }
    }
    const t = d.tls;
    if (t.stream === st && t.role !== SegmentRole.None) {
      touched = true;
      rows.isTls[j] = 1;
      const info = decryptInfoOf(d);
      for (let r = 0; r < t.recordCount; r++) {
        const flags = t.recordFlags[r];
        if (flags & (RecordFlag.Sslv2 | RecordFlag.Malformed)) continue;
        const type = t.contentType[r];
        const status = r < info.count ? info.status[r] : STATUS_NONE;
        if (status === RecordStatus.Plaintext || (status === STATUS_NONE && type === ContentType.ChangeCipherSpec)) {
          // RFC 5246 §7.1: after ChangeCipherSpec this side's records are protected
          if (type === ContentType.ChangeCipherSpec) this.state[j] |= 1 << dir;
          continue;
        }
        const protectedRecord = status !== STATUS_NONE || type === ContentType.ApplicationData ||
          (flags & RecordFlag.Opaque) !== 0 || (this.state[j] & (1 << dir)) !== 0;
        if (!protectedRecord) continue;
        rows.protectedRecords[j]++;
        if (status === RecordStatus.Decrypted) rows.decryptedRecords[j]++;
        else if (status === RecordStatus.NoKeys || status === STATUS_NONE) rows.noKeyRecords[j]++;
      }
      // The session's version once a Server Hello settled it: the decryptor's, else the dissector's.
      let helloSeen = false;
      for (let m = 0; m < t.msgCount; m++) {
        if (t.msgType[m] === HandshakeType.ServerHello && (t.msgFlags[m] & MsgFlag.Quic) === 0) helloSeen = true;
      }
      if (info.version !== 0) rows.version[j] = info.version;
      else if ((helloSeen || rows.version[j] !== 0 || rows.protectedRecords[j] > 0) && t.protoVersion !== 0) rows.version[j] = t.protoVersion;
    }
    if (rows.app[j] === 0) {
      // The first application protocol a frame of the stream carried names it (HTTP, DNS, SSH).
      const top = topRegisteredLayer(d);
      if (top !== undefined) {
        rows.app[j] = top.id;
        touched = true;
      }
    }
    if ((this.state[j] & ENCRYPTED_PROTOCOL) === 0 && carriesEncryptedProtocol(d)) {
      this.state[j] |= ENCRYPTED_PROTOCOL;
      touched = true;
    }
    if (touched) this.markChanged(st, j);
    if ((d.tcp.state & CLOSED) !== 0 && this.slot[j] >= 0) {
      // The connection is over: freeze its entropy and give the counters back.
      this.refresh(st);
      this.releaseSlot(j);
      this.markChanged(st, j);
    }
  }

  /** A row for stream `st`, with this stage's state beside it. */
  private makeRow(st: number): number {
    const j = this.rows.rowFor(st);
    if (j >= this.slot.length) {
      const cap = Math.max(64, this.slot.length * 2);
      const slot = new Int32Array(cap).fill(-1);
      slot.set(this.slot);
      this.slot = slot;
      const state = new Uint8Array(cap);
      state.set(this.state);
      this.state = state;
      const dirty = new Uint8Array(cap);
      dirty.set(this.dirty);
      this.dirty = dirty;
    }
    return j;
  }

  private markChanged(st: number, j: number): void {
    if (this.dirty[j] === 0) {
      this.dirty[j] = 1;
      this.changed.push(st);
    }
  }

  private takeSlot(j: number): number {
    let slot: number;
    if (this.freeSlots.length > 0) {
      slot = this.freeSlots.pop()!;
      const h = this.blocks[(slot / SLOTS_PER_BLOCK) | 0];
      const base = (slot % SLOTS_PER_BLOCK) * SLOT_WORDS;
      h.fill(0, base, base + SLOT_WORDS);
    } else if (this.slotsMade < MAX_MEASURED) {
      slot = this.slotsMade++;
      if (slot % SLOTS_PER_BLOCK === 0) this.blocks.push(new Uint32Array(SLOTS_PER_BLOCK * SLOT_WORDS));
    } else {
      this.unmeasuredStreams++;
      this.state[j] |= 4; // never measured: entropy stays NOT_MEASURED
      return -1;
    }
    this.slot[j] = slot;
    return slot;
  }

  private releaseSlot(j: number): void {
    this.freeSlots.push(this.slot[j]);
    this.slot[j] = -1;
    this.state[j] |= 4;
  }

  /** Work out the stream's entropy (while its counters are held) and verdict into `rows`. */
  refresh(st: number): void {
    const rows = this.rows;
    const j = rows.rowOf(st);
    if (j < 0) return;
    const slot = this.slot[j];
    if (slot >= 0) {
      // One pass over both directions' counters: each entropy, both together, and the share of text.
      const h = this.blocks[(slot / SLOTS_PER_BLOCK) | 0];
      const base = (slot % SLOTS_PER_BLOCK) * SLOT_WORDS;
      // Byte values seen in neither direction add nothing (c·log2 c is 0 for 0), so they are skipped.
      let sC = 0, sS = 0, sA = 0, text = 0;
      for (let b = 0; b < 256; b++) {
        const c = h[base + b], v = h[base + 256 + b];
        if ((c | v) === 0) continue;
        sC += CLOG[c];
        sS += CLOG[v];
        sA += CLOG[c + v];
        if (TEXT_BYTE[b] === 1) text += c + v;
      }
      const nC = rows.measuredC[j], nS = rows.measuredS[j], nA = nC + nS;
      rows.entropyC[j] = nC > 0 ? Math.max(0, Math.log2(nC) - sC / nC) : NOT_MEASURED;
      rows.entropyS[j] = nS > 0 ? Math.max(0, Math.log2(nS) - sS / nS) : NOT_MEASURED;
      rows.entropyAll[j] = nA > 0 ? Math.max(0, Math.log2(nA) - sA / nA) : NOT_MEASURED;
      rows.textShare[j] = nA > 0 ? text / nA : 0;
    }
    rows.verdict[j] = this.verdictOf(j);
  }

  private verdictOf(j: number): Verdict {
    const rows = this.rows;
    if (rows.isTls[j]) {
      const p = rows.protectedRecords[j];
      if (p === 0) return Verdict.Encrypted;
      if (rows.decryptedRecords[j] === p) return Verdict.Decrypted;
      if (rows.noKeyRecords[j] === p) return Verdict.EncryptedWithoutKeys;
      return Verdict.Encrypted;
    }
    if (this.state[j] & ENCRYPTED_PROTOCOL) return Verdict.Encrypted;
    const n = rows.bytesC[j] + rows.bytesS[j];
    if (n === 0) return Verdict.NoPayload;
    // Either direction alone may be random-looking (one side sends a compressed file).
    if (opaque(rows.measuredC[j], rows.entropyC[j]) || opaque(rows.measuredS[j], rows.entropyS[j])) return Verdict.Opaque;
    return Verdict.Plaintext;
  }

  /** The verdicts of streams that changed since the last call, as flat rows for StreamVerdicts.apply. */
  drainChanged(): Float64Array {
    const ch = this.changed;
    for (let k = 0; k < ch.length; k++) {
      this.refresh(ch[k]);
      this.dirty[this.rows.rowOf(ch[k])] = 0;
    }
    const out = this.rows.flatRows(ch);
    ch.length = 0;
    return out;
  }
}

/**
 * Whether the frame gives its stream something to judge, as the stage's analyze reads it: payload
 * not retransmitted, a TLS record of the stream, an application protocol, a protocol that encrypts.
 * Without any, a stream's verdict stays "no payload" and it needs no row.
 */
function judgeable(d: Dissection, st: number): boolean {
  return (d.payloadCapLen > 0 && (d.tcp.flags & RETRANSMITTED) === 0) ||
    (d.tls.stream === st && d.tls.role !== SegmentRole.None) ||
    topRegisteredLayer(d) !== undefined || carriesEncryptedProtocol(d);
}

/**
 * The per-byte loop, alone in a small function so the engine optimizes it on its own. Eight bytes
 * are loaded before their counters are touched: measured 1.2–1.4 ns a byte against 2.0–2.3 for the
 * plain loop (scripts/bench-verdict.ts covers the stage).
 */
function countBytes(h: Uint32Array, base: number, buf: Buffer, off: number, end: number): void {
  let i = off;
  for (; i + 8 <= end; i += 8) {
    const b0 = buf[i], b1 = buf[i + 1], b2 = buf[i + 2], b3 = buf[i + 3], b4 = buf[i + 4], b5 = buf[i + 5], b6 = buf[i + 6], b7 = buf[i + 7];
    h[base + b0]++;
    h[base + b1]++;
    h[base + b2]++;
    h[base + b3]++;
    h[base + b4]++;
    h[base + b5]++;
    h[base + b6]++;
    h[base + b7]++;
  }
  for (; i < end; i++) h[base + buf[i]]++;
}

function opaque(measured: number, h: number): boolean {
  return measured >= OPAQUE_MIN_BYTES && h !== NOT_MEASURED && h >= randomEntropyBaseline(measured) - OPAQUE_MARGIN;
}

// The analyzer of a pipeline, found from the pipeline's Dissection (as decryptInfoOf finds the
// decryption results): the fields, --compare and the indexer reach it without the pipeline
// exposing its stages.
const tables = new Slot<StreamVerdictAnalyzer | undefined>(() => undefined);

/** The verdict analyzer that analysed `d`, or undefined when none ran on it. */
export function verdictsOf(d: Dissection): StreamVerdictAnalyzer | undefined {
  return tables.peek(d);
}

class RegisteringAnalyzer extends StreamVerdictAnalyzer {
  private registered: Dissection | null = null;
  analyze(d: Dissection): void {
    if (this.registered !== d) {
      this.registered = d;
      tables.set(d, this);
    }
    super.analyze(d);
  }
}

/**
 * Whether a headless run shows verdicts: --compare, or a field or display filter that names them.
 * Counting payload bytes is this stage's cost (it adds 40–50% to the pipeline's time on a capture
 * of small segments, measured by scripts/bench-verdict.ts), so runs that print none of it go without. The
 * UI's indexer adds the stage itself (withVerdicts).
 */
export function verdictsWanted(opts: Partial<MainOptions>): boolean {
  if (opts.compare !== undefined) return true;
  const named = (s: string | undefined): boolean => s !== undefined && s.includes('tcpwatch.stream');
  return named(opts.displayFilter) || (opts.field ?? []).some(named);
}

/** The analysis stages with a verdict stage at the end when they have none (the UI shows verdicts whatever the options). */
export function withVerdicts(analyzers: Analyzer[]): Analyzer[] {
  return analyzers.some((a) => a instanceof StreamVerdictAnalyzer) ? analyzers : [...analyzers, new RegisteringAnalyzer()];
}

// Verdicts read what both TLS stages found in the frame (records, handshake, decryption status).
registerStage({
  name: 'verdict', after: ['tls', 'tls-decrypt'],
  make: (opts: MainOptions, _reader: CaptureFileReader | null) => (verdictsWanted(opts) ? new RegisteringAnalyzer() : null),
});
