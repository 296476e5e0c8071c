// Plaintext versus encrypted: one TCP stream as it travelled on the wire next to what it means.
// Left, the bytes of each segment as hex and ASCII, cut at the TLS record layer (RFC 8446 §5.1,
// RFC 5246 §6.2: a 5-byte header of content type, version and length, then the body); right, what
// the bytes say: readable text for a plaintext stream, and for TLS the record header's fields and
// what each record carries: handshake messages, the decrypted plaintext (an HTTP request line) or
// "encrypted, no key". The stream's verdict and the entropy of its bytes close the view.
//
// A StreamComparer is fed the stream's packets after analysis (TCP streams, TLS, decryption,
// verdicts); it keeps each segment's new bytes (up to a budget) and walks the record layer itself,
// resynchronised by the TLS dissector's record offsets, so a record that spans segments is drawn
// where its bytes are. Lines are made by compareLines for a width; every piece of packet text goes
// through the sanitizer. --compare prints them; the UI's compare view (E) shows them.
//
// Not the hot path: only the streams a person asked about pass through here.

import { Dissection } from '../decode/dissection';
import { TcpAnalysisFlag as AF } from '../analysis/tcp-analysis';
import { destinationColumn, sourceColumn } from '../output/summary';
import { sanitizeBytes, asciiOrDot } from '../output/sanitize';
import { Sink } from '../output/sinks';
import { OutputBuffer } from '../output/stdout';
import { nothingToShow } from './explain';
import { RecordFlag, SegmentRole } from '../tls/tls-info';
import { decryptInfoOf, STATUS_NONE } from '../tls/decrypt-info';
import { RecordStatus } from '../tls/decrypt';
import { ContentType, REC_HEADER_LEN, isValidContentType, versionName } from '../tls/records';
import { ALERT_DESC_NAMES, ALERT_LEVEL_NAMES, HANDSHAKE_NAMES } from '../tls/handshake';
import { NOT_MEASURED, StreamVerdictRow, Verdict, VERDICT_NAMES, entropyOf, randomEntropyBaseline, verdictsOf } from './verdict';
import './verdict-fields';

const TWO32 = 4294967296;
/** Bytes of one stream kept for the view; later segments are counted, not shown. */
export const DEFAULT_COMPARE_BYTES = 1024 * 1024;
/** Lines of meaning shown for one record or segment; hex lines beside them follow, at least MIN_HEX_LINES. */
const MAX_MEANING_LINES = 24;
const MIN_HEX_LINES = 3;

const CONTENT_TYPE_NAMES: Readonly<Record<number, string>> = {
  [ContentType.ChangeCipherSpec]: 'Change Cipher Spec',
  [ContentType.Alert]: 'Alert',
  [ContentType.Handshake]: 'Handshake',
  [ContentType.ApplicationData]: 'Application Data',
  [ContentType.Heartbeat]: 'Heartbeat',
  [ContentType.Tls12Cid]: 'TLS 1.2 with connection ID',
};

function contentTypeName(t: number): string {
  return CONTENT_TYPE_NAMES[t] ?? `content type ${t}`;
}

/** One TLS record as the walker found it on the wire, and what the dissector and decryptor made of it. */
export interface CompareRecord {
  fromClient: boolean;
  type: number;
  version: number;
  length: number;
  headerFrame: number;
  /** Frame whose segment holds the last body byte; 0 while incomplete. */
  endFrame: number;
  /** Body bytes walked so far. */
  bodySeen: number;
  /** Protected on the wire (after ChangeCipherSpec, or Application Data). */
  protected: boolean;
  /** RecordStatus from the decryptor, STATUS_NONE when it did not see the record. */
  status: number;
  /** What the record carries, already sanitized; empty until the record completes. */
  meaning: string[];
}

export const enum PieceKind {
  /** Bytes outside the record layer: a plaintext stream, or where the layout is not known. */
  Raw = 0,
  /** All or part of a record header. */
  Header = 1,
  Body = 2,
}

export interface ComparePiece {
  kind: PieceKind;
  /** Offset and length in the segment's new bytes. */
  off: number;
  len: number;
  record: CompareRecord | null;
  /** Offset in the record (header: 0–4, body: from 0) where this piece starts. */
  recordOff: number;
  note: string;
}

export interface CompareSegment {
  frame: number;
  fromClient: boolean;
  /** The segment's new bytes (retransmitted ones left out). */
  data: Buffer;
  pieces: ComparePiece[];
  /** Something about the segment the reader should know (bytes missing before it). */
  note: string;
}

class DirWalker {
  haveSeq = false;
  nextSeq = 0;
  /** Walking records; false before the stream turned out to be TLS, or after the layout was lost. */
  synced = false;
  everSynced = false;
  ccs = false;
  readonly hdr = Buffer.alloc(REC_HEADER_LEN);
  hdrHave = 0;
  rec: CompareRecord | null = null;
  bodyLeft = 0;
}

/** Follows one stream and keeps what the compare view draws. */
export class StreamComparer {
  readonly segments: CompareSegment[] = [];
  readonly records: CompareRecord[] = [];
  client = '';
  server = '';
  /** Payload bytes seen (new ones) and kept, per direction. */
  bytesSeen: [number, number] = [0, 0];
  keptBytes = 0;
  truncated = false;
  packets = 0;
  isTls = false;
  /** The stream's verdict as the analysis stage last had it. */
  verdict: StreamVerdictRow | null = null;
  /** Byte counts of the application data records that were decrypted: their bodies on the wire, and their plaintext. */
  readonly appWire = new Uint32Array(256);
  readonly appPlain = new Uint32Array(256);
  appWireBytes = 0;
  appPlainBytes = 0;
  private readonly walkers = [new DirWalker(), new DirWalker()];
  private readonly completed: CompareRecord[] = [];
  private verdictSource: { rows: { row(s: number): StreamVerdictRow | null }; refresh(s: number): void } | null = null;
  private verdictStream = -1;

  constructor(readonly stream: number, private readonly maxBytes = DEFAULT_COMPARE_BYTES) {}

  /** Add the stream's next packet; `frame` is its number in the capture (the UI replays through a fresh pipeline). */
  add(d: Dissection, frame = d.number): void {
    if (d.tcpOff < 0 || d.tcp.stream < 0 || d.inIcmpError) return;
    this.packets++;
    const dir = d.tcp.direction & 1;
    if (this.client === '') {
      const src = endpoint(sourceColumn(d), d.srcPort), dst = endpoint(destinationColumn(d), d.dstPort);
      this.client = dir === 0 ? src : dst;
      this.server = dir === 0 ? dst : src;
    }
    const vs = verdictsOf(d);
    if (vs !== undefined) {
      this.verdictSource = vs;
      this.verdictStream = d.tcp.stream;
    }
    const t = d.tls;
    if (t.stream === d.tcp.stream && t.role !== SegmentRole.None) this.isTls = true;
    if (d.payloadCapLen === 0 || (d.tcp.flags & AF.KeepAlive) !== 0) return;

    // The segment's new bytes, by relative sequence number (retransmitted bytes are left out).
    const w = this.walkers[dir];
    let off = d.payloadOff, len = d.payloadCapLen;
    let note = '';
    const seq = d.tcp.relSeq;
    if (w.haveSeq) {
      const behind = (w.nextSeq - seq + TWO32) % TWO32;
      if (behind > 0 && behind < TWO32 / 2) {
        if (behind >= len) return;
        off += behind;
        len -= behind;
      } else if (behind !== 0) {
        const missing = (seq - w.nextSeq + TWO32) % TWO32;
        note = `${missing} byte${missing === 1 ? '' : 's'} before this segment were not captured`;
        if (w.synced) {
          w.synced = false;
          w.rec = null;
          w.hdrHave = 0;
        }
      }
    }
    w.haveSeq = true;
    w.nextSeq = (seq + d.payloadLen) % TWO32;
    const data = d.buf.subarray(off, off + len);
    this.bytesSeen[dir] += len;

    const pieces: ComparePiece[] = [];
    let p = 0;
    if (!w.synced) {
      const start = this.syncPoint(d, w, off, len);
      if (start < 0) {
        pieces.push(raw(0, len, w.everSynced ? 'the TLS record layout is lost here (bytes missing): shown as they are' : ''));
        p = len;
      } else {
        if (start > 0) pieces.push(raw(0, start, ''));
        p = start;
        w.synced = w.everSynced = true;
        w.rec = null;
        w.hdrHave = 0;
        w.bodyLeft = 0;
      }
    }
    this.completed.length = 0;
    while (p < len) {
      if (w.rec !== null && w.bodyLeft > 0) {
        const rec = w.rec;
        const n = Math.min(w.bodyLeft, len - p);
        pieces.push({ kind: PieceKind.Body, off: p, len: n, record: rec, recordOff: rec.bodySeen, note: '' });
        rec.bodySeen += n;
        w.bodyLeft -= n;
        p += n;
        if (w.bodyLeft === 0) this.finish(w, rec, frame);
        continue;
      }
      const n = Math.min(REC_HEADER_LEN - w.hdrHave, len - p);
      data.copy(w.hdr, w.hdrHave, p, p + n);
      const piece: ComparePiece = { kind: PieceKind.Header, off: p, len: n, record: null, recordOff: w.hdrHave, note: '' };
      pieces.push(piece);
      w.hdrHave += n;
      p += n;
      if (w.hdrHave < REC_HEADER_LEN) break;
      w.hdrHave = 0;
      const type = w.hdr[0], version = w.hdr.readUInt16BE(1), length = w.hdr.readUInt16BE(3);
      if (!isValidContentType(type) || ((version >> 8) !== 3 && version !== 0x0101)) {
        // Not a record header: the layer's grammar no longer holds (SSL 2.0, or bytes lost upstream).
        piece.kind = PieceKind.Raw;
        piece.note = 'not a TLS record header: the rest is shown as it is';
        if (p < len) pieces.push(raw(p, len - p, ''));
        p = len;
        w.synced = false;
        break;
      }
      const rec: CompareRecord = {
        fromClient: dir === 0, type, version, length, headerFrame: frame, endFrame: 0, bodySeen: 0,
        protected: type === ContentType.ApplicationData || (w.ccs && type !== ContentType.ChangeCipherSpec),
        status: STATUS_NONE, meaning: [],
      };
      if (type === ContentType.ChangeCipherSpec) w.ccs = true;
      this.records.push(rec);
      piece.record = rec;
      w.rec = rec;
      w.bodyLeft = length;
      if (length === 0) this.finish(w, rec, frame);
    }
    this.describeCompleted(d);
    if (d.payloadCapLen < d.payloadLen) {
      // Bytes past the snapshot length never arrived: record boundaries after them are not known.
      const cut = d.payloadLen - d.payloadCapLen;
      note = (note ? note + '; ' : '') + `${bytesText(cut)} past the snapshot length were not captured`;
      if (w.synced) {
        w.synced = false;
        w.rec = null;
        w.hdrHave = 0;
      }
    }

    if (this.keptBytes + len > this.maxBytes) {
      this.truncated = true;
      return;
    }
    this.keptBytes += len;
    this.segments.push({ frame, fromClient: dir === 0, data: Buffer.from(data), pieces, note });
  }

  /**
   * Where records start in this segment: at its first new byte when the TLS dissector took the
   * stream's first segment of this direction; after lost bytes, at the first record whose header
   * the dissector found in this frame. -1 when not (yet) known.
   */
  private syncPoint(d: Dissection, w: DirWalker, off: number, len: number): number {
    const t = d.tls;
    if (t.stream !== d.tcp.stream || t.role === SegmentRole.None) return -1;
    if (!w.everSynced) return 0;
    for (let r = 0; r < t.recordCount; r++) {
      if (t.recordBuf[r] !== d.buf || (t.recordFlags[r] & (RecordFlag.Reassembled | RecordFlag.Sslv2)) !== 0) continue;
      const start = t.recordOff[r] - off;
      if (start >= 0 && start < len) return start;
    }
    return -1;
  }

  private finish(w: DirWalker, rec: CompareRecord, frame: number): void {
    rec.endFrame = frame;
    w.rec = null;
    w.bodyLeft = 0;
    this.completed.push(rec);
  }

  /** Records that completed in this frame, matched in order with the ones the dissector lists for it. */
  private describeCompleted(d: Dissection): void {
    const t = d.tls;
    const info = decryptInfoOf(d);
    let k = 0;
    const mine = t.stream === d.tcp.stream;
    for (let r = 0; mine && r < t.recordCount && k < this.completed.length; r++) {
      if (t.recordFlags[r] & RecordFlag.Sslv2) continue;
      let m = k;
      while (m < this.completed.length && (this.completed[m].type !== t.contentType[r] || this.completed[m].length !== t.length[r])) m++;
      if (m === this.completed.length) continue;
      for (; k < m; k++) this.completed[k].meaning = unlistedMeaning(this.completed[k]);
      const rec = this.completed[k++];
      rec.status = r < info.count ? info.status[r] : STATUS_NONE;
      if (rec.status !== STATUS_NONE) rec.protected = rec.status !== RecordStatus.Plaintext;
      rec.meaning = recordMeaning(d, r, rec);
      if (rec.status === RecordStatus.Decrypted && info.innerType[r] === ContentType.ApplicationData) this.countApplicationData(t.recordBuf[r], t.recordOff[r] + REC_HEADER_LEN, t.length[r], info.plain[r]);
    }
    for (; k < this.completed.length; k++) this.completed[k].meaning = unlistedMeaning(this.completed[k]);
    this.completed.length = 0;
  }

  /** The same data twice: as ciphertext on the wire and as the plaintext it decrypted to (the view's last line). */
  private countApplicationData(buf: Buffer, off: number, len: number, plain: Buffer): void {
    const end = Math.min(buf.length, off + len);
    for (let i = off; i < end; i++) this.appWire[buf[i]]++;
    this.appWireBytes += Math.max(0, end - off);
    for (let i = 0; i < plain.length; i++) this.appPlain[plain[i]]++;
    this.appPlainBytes += plain.length;
  }

  /** Take the stream's verdict as the analysis stage has it now (call after the last packet). */
  finishVerdict(): StreamVerdictRow | null {
    if (this.verdictSource !== null && this.verdictStream >= 0) {
      this.verdictSource.refresh(this.verdictStream);
      const row = this.verdictSource.rows.row(this.verdictStream);
      if (row !== null) this.verdict = { ...row, stream: this.stream };
    }
    return this.verdict;
  }
}

function raw(off: number, len: number, note: string): ComparePiece {
  return { kind: PieceKind.Raw, off, len, record: null, recordOff: 0, note };
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

// ---- what a record means ----

function recordMeaning(d: Dissection, r: number, rec: CompareRecord): string[] {
  const t = d.tls;
  const info = decryptInfoOf(d);
  const status = rec.status;
  const bodyOff = t.recordOff[r] + REC_HEADER_LEN;
  const body = t.recordBuf[r];
  const bodyEnd = Math.min(body.length, bodyOff + t.length[r]);
  switch (status) {
    case RecordStatus.Decrypted: {
      const inner = info.innerType[r], plain = info.plain[r];
      const lines = [`decrypted with the key log: ${contentTypeName(inner)}, ${plain.length} byte${plain.length === 1 ? '' : 's'}`];
      return lines.concat(contentMeaning(d, r, inner, plain, 0, plain.length));
    }
    case RecordStatus.NoKeys:
      return [`encrypted, no key${info.reason[r] ? ` (${info.reason[r]})` : ''}`];
    case RecordStatus.AuthFailed:
      return [`encrypted: it did not authenticate${info.reason[r] ? ` (${info.reason[r]})` : ''}; not shown as plaintext`];
    case RecordStatus.Unsupported:
      return [`encrypted${info.reason[r] ? ` (${info.reason[r]})` : ' with a cipher suite tcpwatch cannot decrypt'}`];
    default:
      if (rec.protected) return ['encrypted, no key (no key log for this capture)'];
      return contentMeaning(d, r, rec.type, body, bodyOff, bodyEnd);
  }
}

/** A record the dissector did not list (it lost it, or its buffers were full): only the header speaks. */
function unlistedMeaning(rec: CompareRecord): string[] {
  return [rec.protected ? 'encrypted' : contentTypeName(rec.type)];
}

/** What the content of record r says, given its (decrypted or plaintext) bytes. */
function contentMeaning(d: Dissection, r: number, type: number, buf: Buffer, off: number, end: number): string[] {
  const t = d.tls;
  switch (type) {
    case ContentType.Handshake: {
      const names: string[] = [];
      for (let m = 0; m < t.msgCount; m++) if (t.msgRecord[m] === r) names.push(HANDSHAKE_NAMES[t.msgType[m]] ?? `handshake message type ${t.msgType[m]}`);
      return names.length > 0 ? [names.join(', ')] : ['part of a handshake message that spans records'];
    }
    case ContentType.ChangeCipherSpec:
      return ['Change Cipher Spec: what this side sends next is protected'];
    case ContentType.Alert:
      if (end - off >= 2) {
        return [`Alert: ${ALERT_LEVEL_NAMES[buf[off]] ?? `level ${buf[off]}`}, ${ALERT_DESC_NAMES[buf[off + 1]] ?? `description ${buf[off + 1]}`}`];
      }
      return ['Alert'];
    case ContentType.ApplicationData:
      return textOrHex(buf, off, end);
    default:
      return [`${contentTypeName(type)}, ${end - off} bytes`];
  }
}

/** Share of bytes that read as text: printable ASCII, tab, CR, LF, or UTF-8. */
function readsAsText(buf: Buffer, off: number, end: number): boolean {
  let ok = 0;
  for (let k = off; k < end; k++) {
    const x = buf[k];
    if ((x >= 0x20 && x < 0x7f) || x === 0x09 || x === 0x0a || x === 0x0d || x >= 0x80) ok++;
  }
  return ok >= (end - off) * 0.9;
}

/** Bytes as text lines (LF ends a line, a CR before it is the line ending) when they read as text, else a short hex dump. Sanitized. */
export function textOrHex(buf: Buffer, off: number, end: number): string[] {
  if (end <= off) return ['(empty)'];
  const out: string[] = [];
  if (readsAsText(buf, off, end)) {
    let start = off;
    for (let k = off; k <= end; k++) {
      if (k < end && buf[k] !== 0x0a) continue;
      if (k === end && start === end) break;
      const lineEnd = k > start && buf[k - 1] === 0x0d && k < end ? k - 1 : k;
      out.push(sanitizeBytes(buf, start, lineEnd - start));
      start = k + 1;
    }
    return out;
  }
  out.push(`binary, ${end - off} bytes:`);
  for (let p = off; p < end; p += 8) out.push(hexRow(buf, p, Math.min(8, end - p), 8, p - off).trimEnd());
  return out;
}

// ---- the two-column layout ----

const HEX = '0123456789abcdef';

function hexRow(buf: Buffer, off: number, n: number, perLine: number, shownOffset: number): string {
  let hex = '', ascii = '';
  for (let i = 0; i < perLine; i++) {
    if (i < n) {
      const b = buf[off + i];
      hex += (i ? ' ' : '') + HEX[b >> 4] + HEX[b & 15];
      ascii += asciiOrDot(b);
    } else {
      hex += i ? '   ' : '  ';
    }
  }
  return `${shownOffset.toString(16).padStart(4, '0')}  ${hex}  ${ascii}`;
}

export const enum LineKind {
  Note = 0,
  Client = 1,
  Server = 2,
}

export interface CompareLine {
  text: string;
  kind: LineKind;
}

export interface CompareLayout {
  /** Characters per line. */
  width: number;
  /** Bytes per hex line: 16 as -x prints them, 8 on narrow screens. */
  bytesPerLine?: number;
}

function fitTo(s: string, w: number): string {
  // Text is sanitized already; clip by code points so a wide line cannot push the right column.
  const cps = Array.from(s);
  if (cps.length <= w) return s + ' '.repeat(w - cps.length);
  return cps.slice(0, Math.max(0, w - 1)).join('') + '…';
}

function wrap(s: string, w: number): string[] {
  const cps = Array.from(s);
  if (cps.length <= w) return [s];
  const out: string[] = [];
  for (let i = 0; i < cps.length; i += w) out.push(cps.slice(i, i + w).join(''));
  return out;
}

/** Lines of at most `w` code points, broken at spaces where there are any. */
function wordWrap(s: string, w: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    if (line !== '' && Array.from(line).length + 1 + Array.from(word).length > w) {
      out.push(line);
      line = '   ';
    }
    line = line === '' || line === '   ' ? line + word : `${line} ${word}`;
  }
  out.push(line);
  return out.flatMap((l) => wrap(l, w));
}

const entropyText = (h: number): string => (h === NOT_MEASURED || Number.isNaN(h) ? 'not measured' : h.toFixed(2));
const bytesText = (n: number): string => `${n} byte${n === 1 ? '' : 's'}`;

/** "decrypted (TLS 1.3)", "plaintext". */
export function verdictLabel(v: StreamVerdictRow): string {
  const name = VERDICT_NAMES[v.verdict];
  return v.protocol !== '' ? `${name} (${v.protocol})` : name;
}

/** The closing lines of a stream: its verdict with what it rests on, and the entropy of its bytes. */
export function verdictLines(v: StreamVerdictRow | null): string[] {
  if (v === null) return ['verdict: not known (the stream verdict analysis did not run)'];
  let why: string;
  switch (v.verdict) {
    case Verdict.NoPayload: why = 'no payload in either direction'; break;
    case Verdict.Plaintext: why = `not TLS; ${Math.round(v.textShare * 100)}% of the bytes are printable text`; break;
    case Verdict.Opaque: why = 'not TLS, but the bytes measure like random data: encrypted or compressed in a protocol tcpwatch does not dissect'; break;
    case Verdict.Decrypted: why = `all ${v.protectedRecords} protected record${v.protectedRecords === 1 ? '' : 's'} decrypted and verified with the key log`; break;
    case Verdict.EncryptedWithoutKeys: why = `${v.protectedRecords} protected record${v.protectedRecords === 1 ? '' : 's'}, no key to decrypt them`; break;
    default:
      why = v.protectedRecords === 0
        ? 'TLS handshake only: no protected record seen'
        : `${v.decryptedRecords} of ${v.protectedRecords} protected records decrypted, ${v.noKeyRecords} without keys, ${v.protectedRecords - v.decryptedRecords - v.noKeyRecords} unreadable (failed or unsupported)`;
  }
  const lines = [`verdict: ${verdictLabel(v)}: ${why}`];
  const total = v.bytes[0] + v.bytes[1], measured = v.measured[0] + v.measured[1];
  // "over 1876 bytes", or "over the first 131072 of 5242880 bytes" when each side's first MEASURE_LIMIT were counted
  const over = (m: number, n: number): string => (m === n ? bytesText(n) : `the first ${m} of ${bytesText(n)}`);
  if (total > 0 && v.entropy[2] !== NOT_MEASURED) {
    const parts: string[] = [];
    if (v.bytes[0] > 0) parts.push(`client → server ${entropyText(v.entropy[0])} over ${over(v.measured[0], v.bytes[0])}`);
    if (v.bytes[1] > 0) parts.push(`server → client ${entropyText(v.entropy[1])} over ${over(v.measured[1], v.bytes[1])}`);
    lines.push(`entropy: ${entropyText(v.entropy[2])} bits/byte over ${over(measured, total)} of payload (${parts.join(', ')}); ` +
      `as many random bytes would measure ${randomEntropyBaseline(measured).toFixed(2)}, text typically 4 to 5`);
  } else if (total > 0) {
    lines.push(`entropy: not measured (too many streams open at once), ${bytesText(total)} of payload`);
  }
  return lines;
}

/** The view as lines: heading, one block per segment (wire on the left, meaning on the right), verdict. */
export function compareLines(c: StreamComparer, layout: CompareLayout): CompareLine[] {
  const width = Math.max(60, layout.width);
  const bpl = layout.bytesPerLine ?? (width >= 140 ? 16 : 8);
  const leftW = 6 + bpl * 3 - 1 + 2 + bpl;
  const rightW = Math.max(16, width - leftW - 3);
  const out: CompareLine[] = [];
  const note = (text: string): void => {
    for (const l of wordWrap(text, width)) out.push({ text: l, kind: LineKind.Note });
  };
  const v = c.verdict;
  note(`TCP stream ${c.stream}: client ${c.client} ⇄ server ${c.server}, ${c.packets} packet${c.packets === 1 ? '' : 's'}` +
    (v !== null ? ` — ${verdictLabel(v)}` : ''));
  out.push({ text: `${fitTo('on the wire', leftW)} │ what it means`, kind: LineKind.Note });

  for (const s of c.segments) {
    const kind = s.fromClient ? LineKind.Client : LineKind.Server;
    const banner = `── frame ${s.frame} · ${s.fromClient ? 'client → server' : 'server → client'} · ${bytesText(s.data.length)} `;
    out.push({ text: banner + '─'.repeat(Math.max(2, width - Array.from(banner).length)), kind: LineKind.Note });
    if (s.note) note(`   (${s.note})`);
    for (const p of s.pieces) {
      const [left, right] = pieceColumns(c, s, p, bpl);
      const rightLines: string[] = [];
      for (const r of right) rightLines.push(...wrap(r, rightW));
      // The hex beside the meaning: as many lines as the meaning takes, at least a few.
      let leftLines = left;
      const rows = Math.max(rightLines.length, 1);
      const keep = Math.max(rows, MIN_HEX_LINES);
      if (leftLines.length > keep) {
        const hidden = p.len - (keep - 1) * bpl;
        leftLines = leftLines.slice(0, keep - 1).concat([`      … ${hidden} more byte${hidden === 1 ? '' : 's'}${p.record?.protected ? ' (encrypted)' : ''}`]);
      }
      const n = Math.max(leftLines.length, rightLines.length);
      for (let i = 0; i < n; i++) {
        out.push({ text: `${fitTo(leftLines[i] ?? '', leftW)} │ ${rightLines[i] ?? ''}`.trimEnd(), kind });
      }
    }
  }
  if (c.truncated) note(`… later segments are not shown (more than ${bytesText(c.keptBytes)} kept); the verdict counts all of them`);
  if (c.segments.length === 0) note(c.packets > 0 ? '(no payload: nothing travelled but TCP headers)' : '(no packets)');
  for (const l of verdictLines(v)) note(l);
  if (c.appPlainBytes > 0) {
    note(`decrypted application data: ${entropyOf(c.appWire, 0).toFixed(2)} bits/byte as ${bytesText(c.appWireBytes)} of records on the wire, ` +
      `${entropyOf(c.appPlain, 0).toFixed(2)} as the ${bytesText(c.appPlainBytes)} of plaintext they carry`);
  }
  return out;
}

/** The left (hex) and right (meaning) lines of one piece of a segment. */
function pieceColumns(c: StreamComparer, s: CompareSegment, p: ComparePiece, bpl: number): [string[], string[]] {
  const left: string[] = [];
  const rec = p.record;
  for (let q = 0; q < p.len; q += bpl) left.push(hexRow(s.data, p.off + q, Math.min(bpl, p.len - q), bpl, p.off + q));
  // A header's bytes are fields, not text: its ASCII column names what they are.
  if (p.kind === PieceKind.Header && left.length === 1) left[0] = left[0].slice(0, 6 + bpl * 3 + 1) + (rec !== null || p.recordOff === 0 ? '‹record header›' : '‹header›');
  const right: string[] = [];
  switch (p.kind) {
    case PieceKind.Raw: {
      if (p.note) right.push(p.note);
      const verdict = c.verdict?.verdict;
      if (verdict === Verdict.Opaque) right.push(`${bytesText(p.len)} that measure like random data (encrypted or compressed)`);
      else right.push(...limitLines(textOrHex(s.data, p.off, p.off + p.len)));
      break;
    }
    case PieceKind.Header: {
      if (rec === null) {
        right.push(p.recordOff === 0 ? `start of a TLS record header (${p.len} of 5 bytes; it continues in the next segment)` : 'part of a TLS record header');
        break;
      }
      const head = `TLS record: ${contentTypeName(rec.type)}, ${versionName(rec.version)}, length ${rec.length}${rec.protected ? ' (encrypted)' : ''}`;
      right.push(p.recordOff > 0 ? `rest of the header: ${head}` : head);
      break;
    }
    case PieceKind.Body: {
      if (rec === null) break;
      if (p.recordOff > 0) {
        right.push(`… ${contentTypeName(rec.type)} record continued from frame ${rec.headerFrame} (bytes ${p.recordOff}–${p.recordOff + p.len} of ${rec.length})`);
        break;
      }
      if (rec.endFrame !== 0 && rec.endFrame !== s.frame) right.push(`(the record ends in frame ${rec.endFrame})`);
      if (rec.endFrame === 0) right.push(`incomplete: only ${rec.bodySeen} of ${rec.length} bytes were captured`);
      right.push(...limitLines(rec.meaning.length > 0 ? rec.meaning : [rec.protected ? 'encrypted' : contentTypeName(rec.type)]));
      break;
    }
  }
  return [left, right];
}

function limitLines(lines: string[]): string[] {
  if (lines.length <= MAX_MEANING_LINES) return lines;
  const more = lines.length - (MAX_MEANING_LINES - 1);
  return lines.slice(0, MAX_MEANING_LINES - 1).concat([`… ${more} more line${more === 1 ? '' : 's'}`]);
}

// ---- headless --compare ----

/** Bytes kept over all streams of one --compare run; streams beyond it show their headings and verdicts only. */
const MAX_COMPARE_TOTAL = 64 * 1024 * 1024;

/**
 * `--compare [STREAM]`: every TCP stream in turn (as --explain does), or the one named, each as the
 * two-column view, in tcp.stream order once the capture has been read.
 */
export class CompareSink implements Sink {
  private readonly streams = new Map<number, StreamComparer>();
  private highestStream = -1;
  private kept = 0;

  constructor(private readonly out: OutputBuffer, private readonly only: number | null, private readonly width = 140) {}

  frame(d: Dissection): void {
    const stream = d.tcp.stream;
    if (d.tcpOff < 0 || stream < 0 || d.inIcmpError) return;
    if (stream > this.highestStream) this.highestStream = stream;
    if (this.only !== null && stream !== this.only) return;
    let c = this.streams.get(stream);
    if (c === undefined) {
      c = new StreamComparer(stream, Math.max(0, Math.min(DEFAULT_COMPARE_BYTES, MAX_COMPARE_TOTAL - this.kept)));
      this.streams.set(stream, c);
    }
    const before = c.keptBytes;
    c.add(d);
    this.kept += c.keptBytes - before;
  }

  end(): void {
    const ordered = [...this.streams.values()].sort((a, b) => a.stream - b.stream);
    let first = true;
    for (const c of ordered) {
      c.finishVerdict();
      if (!first) this.out.write('\n');
      first = false;
      for (const l of compareLines(c, { width: this.width })) this.out.write(l.text + '\n');
    }
    this.out.flush();
    if (ordered.length === 0) throw nothingToShow('compare', this.only, this.highestStream);
  }
}
