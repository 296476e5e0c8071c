// TLS on any TCP port, found by content: the first segment of a conversation that starts like a
// TLS (or SSLv2-compatible) Client/Server record makes the conversation TLS, as Wireshark's "tls_tcp"
// heuristic does. From then on every segment is cut into records; a record that spans segments is
// collected in a bounded per-direction buffer and described in the frame that completes it; a
// handshake message that spans records is collected the same way. What the Protocol and Info
// columns say follows tshark 4.0 (packet-tls.c, and packet-tcp.c's "[TCP segment of a reassembled
// PDU]"), so that `-T fields` and the packet list agree with it.
//
// Where the bytes come from follows tshark's TCP preferences. By default (as tshark) segments are
// placed in arrival order by relative sequence number: bytes already seen are skipped; a segment
// TCP analysis flags as a retransmission, out of order or keep-alive is not dissected; a gap
// abandons the record being collected (counted in `stats.bytesLost`) and the next segment is read
// from its start. Records are collected through the same core as every protocol over TCP
// (src/analysis/pdu-collector.ts: conversations, buffers, budget); the record loop is TLS's own, as
// Wireshark's TLS desegments itself rather than through tcp_dissect_pdus (a split record header
// waits for one more whole segment, and what follows a reassembled record is a second TLS call).
// With -o tcp.reassemble_out_of_order:TRUE the bytes come from TCP reassembly
// (src/analysis/reassembly.ts) instead, which holds out-of-order segments until the hole before them
// fills, so a record appears in the frame that completes it. Either way a record that does not fit
// in the buffer budget is passed over by its length (counted in `stats.bytesDropped`) so the record
// boundaries stay in step.

import { Dissection, Malformed, Proto, Slot } from '../decode/dissection';
import { tcpDecodeAs } from '../decode/protocol-registry';
import { TH_FIN, TH_RST } from '../decode/tcp';
import type { Analyzer } from '../pipeline';
import { registerStage, MainOptions, preferences } from '../hooks';
import {
  ContentType, REC_HEADER_LEN, SSLV2_VERSION, TLSV1_VERSION, TLSV1DOT1_VERSION, TLSV1DOT2_VERSION, TLSV1DOT3_VERSION,
  TLCPV1_VERSION, isValidContentType, looksLikeTlsStart, isSslv2ClientHello, looksLikeSslv2, looksLikeSslv3,
  isV2ClientHelloStart, isKnownVersion, tls13Draft, startsWithPrintable, ssl2HeaderLength, ssl2RecordLength,
  SSL2_MSG_NAMES, Ssl2Msg, isValidSslVersion, isTlsPort, isOtherProtocolPort,
} from './records';
import { placeSegment, placed } from '../analysis/arrival-order';
import { BufferPool } from '../analysis/buffer-pool';
import { CollectingDirection, PduCollector } from '../analysis/pdu-collector';
import { reassembledPduOf } from '../analysis/pdu-frame';
import { CipherKind, cipherSuite } from './cipher-suites';
import { QuicInitialReader, quicCryptoHandoffs } from '../protocols/quic/initial';
import { resultsOf as quicResultsOf, QuicPackets } from '../protocols/quic/stage';
import { MAX_HS_FRAGMENTS, quicHandshakePieces, readHandoff } from './quic-handshake';
import { registerStreamConsumer } from '../analysis/reassembly';
import { HandshakeType, HS_HEADER_LEN, HelloView, isNamedHandshakeType, isValidHandshakeType, looksEncryptedHandshake, scanServerHello } from './handshake';
import { AppProto, InfoKind, MAX_TLS_FRAGMENTS, MsgFlag, RecordFlag, SegmentRole } from './tls-info';
import './summary';

/** A handshake message is collected across records up to this size (certificate chains are a few KiB). */
const MAX_HANDSHAKE_REASSEMBLY = 256 * 1024;
/** Default budget of bytes held in reassembly buffers over all conversations. */
export const DEFAULT_TLS_BUFFER_BUDGET = 64 * 1024 * 1024;
/**
 * The most one direction collects at once: a record is at most 5 + 2^16 bytes, and a split header
 * is joined by one whole segment, below the 256 KiB snapshot length.
 */
const MAX_COLLECTED = 1024 * 1024;

/**
 * One direction of a TLS conversation. Its pending record (pdu-collector.ts) is collected until
 * `pendingNeed` bytes are there; 0 while the record's header is incomplete.
 */
class Direction extends CollectingDirection {
  /** The header was split: tshark hands TLS the partial bytes together with the whole next segment. */
  oneMore = false;
  /** Frame number of this side's last ChangeCipherSpec. */
  ccsFrame = 0;
  /** MAC length of a NULL-cipher suite once this side has sent ChangeCipherSpec, else 0. */
  nullMac = 0;
  records = 0;
  /** Handshake message collected across records. */
  hs: Buffer | null = null;
  hsLen = 0;
  hsActive = false;
  /** The records' pieces of that message: frame and length of each (the first MAX_HS_FRAGMENTS), and how many. */
  readonly hsFragFrame: number[] = [];
  readonly hsFragLen: number[] = [];
  hsFragTotal = 0;

  /** A piece of `len` bytes of the message being collected came in frame `frame`. */
  noteFragment(frame: number, len: number): void {
    if (this.hsFragFrame.length < MAX_HS_FRAGMENTS) {
      this.hsFragFrame.push(frame);
      this.hsFragLen.push(len);
    }
    this.hsFragTotal++;
  }

  protected clearPendingState(): void {
    this.oneMore = false;
  }

  /** Drop the handshake message being collected; returns the bytes it held. */
  dropHandshake(pool: BufferPool): number {
    const n = this.hsLen;
    if (this.hs !== null) {
      pool.release(this.hs);
      this.hs = null;
    }
    this.hsActive = false;
    this.hsLen = 0;
    this.hsFragFrame.length = 0;
    this.hsFragLen.length = 0;
    this.hsFragTotal = 0;
    return n;
  }
}

class Conversation {
  /** Session version (0 = not known yet), as Wireshark's session->version. */
  version = 0;
  /** MAC length of the negotiated suite when it encrypts nothing (TLS_*_WITH_NULL_*), else 0. */
  nullMac = 0;
  /** Cipher suite the Server Hello chose, 0 before. */
  suite = 0;
  appProto: AppProto = AppProto.None;
  readonly dirs: [Direction, Direction] = [new Direction(), new Direction()];

  giveUpHeld(pool: BufferPool): number {
    return this.dirs[0].dropHandshake(pool) + this.dirs[1].dropHandshake(pool);
  }
}

export interface TlsStats {
  conversations: number;
  recordsReassembled: number;
  /** Bytes of records passed over because the buffer budget was reached. */
  bytesDropped: number;
  /** Bytes lost to gaps in the sequence space (segments not captured) while a record was collected. */
  bytesLost: number;
  malformedRecords: number;
}

const scratch = new Int32Array(2);

/**
 * What TCP reassembly delivered for the frame being analysed, in order: byte chunks of a stream
 * direction, and gaps (bytes that will never come). Kept per Dissection (one per pipeline) and
 * reused; the reassembly runs in TcpStreamTable just before this analyzer sees the same frame.
 */
class Deliveries {
  frame = -1;
  count = 0;
  stream = new Int32Array(8);
  dir = new Uint8Array(8);
  /** -1 for a gap. */
  off = new Int32Array(8);
  len = new Float64Array(8);
  buf: Buffer[] = new Array<Buffer>(8);

  slot(d: Dissection): number {
    if (this.frame !== d.number) {
      this.frame = d.number;
      this.count = 0;
    }
    if (this.count === this.off.length) this.grow();
    return this.count++;
  }

  private grow(): void {
    const n = this.off.length * 2;
    const s = new Int32Array(n), di = new Uint8Array(n), o = new Int32Array(n), l = new Float64Array(n);
    s.set(this.stream);
    di.set(this.dir);
    o.set(this.off);
    l.set(this.len);
    this.stream = s;
    this.dir = di;
    this.off = o;
    this.len = l;
    this.buf.length = n;
  }
}

const deliveries = new Slot(() => new Deliveries());

function deliveriesOf(d: Dissection): Deliveries {
  return deliveries.of(d);
}

let listening = false;

/** Ask TCP reassembly for byte streams (it runs for every pipeline created from then on). */
function listenToReassembly(): void {
  if (listening) return;
  listening = true;
  registerStreamConsumer({ data: onData, gap: onGap });
}

function onData(d: Dissection, stream: number, dir: number, buf: Buffer, off: number, len: number): void {
  const q = deliveriesOf(d);
  const i = q.slot(d);
  q.stream[i] = stream;
  q.dir[i] = dir;
  q.len[i] = len;
  if (buf === d.buf) {
    q.buf[i] = buf;
    q.off[i] = off;
  } else {
    // Held out-of-order bytes: only valid during this call, so kept as a copy (rare).
    q.buf[i] = Buffer.from(buf.subarray(off, off + len));
    q.off[i] = 0;
  }
}

function onGap(d: Dissection, stream: number, dir: number, _offset: number, len: number): void {
  const q = deliveriesOf(d);
  const i = q.slot(d);
  q.stream[i] = stream;
  q.dir[i] = dir;
  q.off[i] = -1;
  q.len[i] = len;
}


export class TlsAnalyzer implements Analyzer {
  readonly stats: TlsStats = { conversations: 0, recordsReassembled: 0, bytesDropped: 0, bytesLost: 0, malformedRecords: 0 };
  private readonly collector: PduCollector<Conversation>;
  private readonly hello = new HelloView();
  readonly quic = new QuicInitialReader();
  // per-frame context (set in analyze, read by the record functions)
  private d!: Dissection;
  private conv!: Conversation;
  private dir!: Direction;
  private frozen = false;
  private needMore = false;
  private needTotal = 0;
  private reassembledCall = false;

  /**
   * `outOfOrder`: take bytes from TCP reassembly, which holds out-of-order segments until the hole
   * before them fills (tshark's tcp.reassemble_out_of_order); records then appear in the frame that
   * completes them, retransmissions included. Without it, segments are placed as tshark does by
   * default: in arrival order, retransmitted and out-of-order segments not dissected.
   */
  constructor(budget = DEFAULT_TLS_BUFFER_BUDGET, readonly outOfOrder = false) {
    this.collector = new PduCollector(budget, this.stats, MAX_COLLECTED);
    if (outOfOrder) listenToReassembly();
  }

  get pool(): BufferPool {
    return this.collector.pool;
  }

  analyze(d: Dissection): void {
    this.collector.beginFrame();
    if (d.tcpOff < 0) {
      // QUIC Initial packets the QUIC stage decrypted may carry a Client/Server Hello.
      if (d.udpOff >= 0 && !d.inIcmpError) {
        const r = quicResultsOf(d);
        if (r !== null) this.quicDatagram(d, r);
      }
      return;
    }
    if (d.inIcmpError || d.tcp.stream < 0) return;
    if (this.outOfOrder) {
      const q = deliveries.peek(d);
      if (q !== undefined && q.frame === d.number) {
        for (let i = 0; i < q.count; i++) this.delivered(d, q, i);
      }
    } else if (d.payloadLen > 0) {
      this.payload(d, d.payloadLen);
    }
    if (d.tcpFlags & (TH_FIN | TH_RST)) this.closing(d);
  }

  /** A datagram's Initial packets: each piece of CRYPTO data the QUIC reader hands on is one TLS call, a `tls` layer of its own. */
  private quicDatagram(d: Dissection, r: QuicPackets): void {
    const handoffs = quicCryptoHandoffs.of(d);
    this.quic.beginDatagram(d.number, handoffs);
    for (let k = 0; k < r.valid; k++) {
      const plain = r.plain[k];
      if (r.decrypted[k] !== 0 && plain !== null && r.connection >= 0) this.quic.initialPacket(plain, r.connection, r.fromServer, r.pktOff[k], handoffs);
    }
    if (handoffs.count === 0) return;
    const pieces = quicHandshakePieces.of(d);
    pieces.reset(d.number);
    for (let h = 0; h < handoffs.count; h++) {
      d.pushLayer(Proto.Tls, d.payloadOff);
      readHandoff(d, d.tls, handoffs, h, pieces, this.hello);
    }
  }

  /**
   * A FIN ends what its side can still send: a record or message being collected there will not
   * complete. A RST ends both sides. A conversation whose sides have both ended is forgotten.
   */
  private closing(d: Dissection): void {
    const conv = this.collector.conversation(d.tcp.stream);
    if (conv === undefined) return;
    const rst = (d.tcpFlags & TH_RST) !== 0;
    for (let i = 0; i < 2; i++) {
      if (!rst && i !== (d.tcp.direction & 1)) continue;
      const dir = conv.dirs[i];
      // With reassembly of out-of-order segments, bytes before the FIN may still come; keep them.
      if (rst || !this.outOfOrder) this.lose(dir, dir.pendingLen + dir.hsLen);
      dir.finished = true;
    }
    if (conv.dirs[0].finished && conv.dirs[1].finished) this.collector.end(d.tcp.stream, conv);
  }

  private payload(d: Dissection, len: number): void {
    const buf = d.buf;
    const off = d.payloadOff;
    const end = off + d.payloadCapLen;
    let conv = this.collector.conversation(d.tcp.stream);
    if (conv === undefined) {
      if (!this.startsTls(d, buf, off, end)) return;
      conv = new Conversation();
      // Wireshark hands TLS on port 443 to HTTP until ALPN says otherwise.
      if (d.srcPort === 443 || d.dstPort === 443) conv.appProto = AppProto.Http;
      this.collector.add(d.tcp.stream, conv);
    }
    const dir = conv.dirs[d.tcp.direction & 1];
    const p = placeSegment(d, dir);
    if (placed.lost > 0) this.lose(dir, placed.lost);
    if (p < 0) return;

    this.d = d;
    this.conv = conv;
    this.dir = dir;
    this.frozen = false;
    const t = d.tls;
    t.stream = d.tcp.stream;
    t.direction = d.tcp.direction;
    t.suite = conv.suite;
    t.appProto = conv.appProto;
    if (p < end) this.segment(buf, p, end);
    if (d.payloadCapLen < len) {
      // Bytes beyond the snapshot length never arrive: what was being collected cannot complete.
      this.lose(dir, len - d.payloadCapLen);
    }
  }

  /** One chunk (or gap) of a stream direction's bytes, as reassembly delivered it in this frame. */
  private delivered(d: Dissection, q: Deliveries, i: number): void {
    let conv = this.collector.conversation(q.stream[i]);
    const dirIndex = q.dir[i] & 1;
    if (q.off[i] < 0) {
      if (conv !== undefined) this.lose(conv.dirs[dirIndex], q.len[i]);
      return;
    }
    const buf = q.buf[i];
    const off = q.off[i];
    const end = off + q.len[i];
    if (conv === undefined) {
      if (!this.startsTls(d, buf, off, end)) return;
      conv = new Conversation();
      this.collector.add(q.stream[i], conv);
    }
    const dir = conv.dirs[dirIndex];
    this.d = d;
    this.conv = conv;
    this.dir = dir;
    this.frozen = false;
    const t = d.tls;
    t.stream = q.stream[i];
    t.direction = dirIndex;
    this.segment(buf, off, end);
  }

  /**
   * Whether a conversation not seen as TLS so far becomes TLS with this segment: on the ports
   * Wireshark gives to TLS, always; elsewhere a Handshake record or an SSLv2-compatible Client Hello
   * at the start of the segment. An Application Data record alone (a capture that starts mid-
   * connection) is taken as TLS only on ports no other protocol owns, since Wireshark lets that
   * protocol claim the segment first.
   */
  private startsTls(d: Dissection, buf: Buffer, off: number, end: number): boolean {
    // A port -d gives to a protocol is that protocol's, TLS or not, before any heuristic.
    const given = tcpDecodeAs(d.srcPort, d.dstPort);
    if (given !== 0) return given === Proto.Tls;
    if (isTlsPort(d.srcPort) || isTlsPort(d.dstPort)) return true;
    if (isSslv2ClientHello(buf, off, end)) return true;
    if (!looksLikeTlsStart(buf, off, end)) return false;
    return buf[off] === ContentType.Handshake || (!isOtherProtocolPort(d.srcPort) && !isOtherProtocolPort(d.dstPort));
  }

  private lose(dir: Direction, bytes: number): void {
    this.collector.lose(dir, bytes, dir.hsActive);
    dir.dropHandshake(this.collector.pool);
  }

  /** One TCP segment's new bytes [p, end). */
  private segment(buf: Buffer, p: number, end: number): void {
    const dir = this.dir;
    const t = this.d.tls;
    if (dir.skip > 0) {
      const n = Math.min(dir.skip, end - p);
      dir.skip -= n;
      p += n;
      if (p >= end) {
        t.role = SegmentRole.PduMiddle;
        return;
      }
      this.tlsCall(buf, p, end, false);
      return;
    }
    if (dir.pending === null) {
      this.tlsCall(buf, p, end, false);
      return;
    }
    if (dir.oneMore) {
      // The whole segment joins the partial header, and TLS sees them together.
      const have = dir.pendingLen;
      const n = end - p;
      if (!this.collector.ensure(this.conv, dir, have + n)) {
        this.stats.bytesDropped += have + n;
        this.collector.drop(dir);
        t.role = SegmentRole.PduMiddle;
        return;
      }
      buf.copy(dir.pending!, have, p, end);
      this.d.tcp.keepForReassembly(p, end);
      dir.notePiece(this.d.number, n);
      dir.pendingLen = have + n;
      dir.oneMore = false;
      const pb = this.collector.take(dir, this.d);
      this.tlsCall(pb, 0, have + n, true);
      return;
    }
    const want = dir.pendingNeed - dir.pendingLen;
    const n = Math.min(want, end - p);
    buf.copy(dir.pending!, dir.pendingLen, p, p + n);
    dir.pendingLen += n;
    this.d.tcp.keepForReassembly(p, p + n);
    dir.notePiece(this.d.number, n);
    p += n;
    if (dir.pendingLen < dir.pendingNeed) {
      t.role = SegmentRole.PduMiddle;
      return;
    }
    const total = dir.pendingNeed;
    const pb = this.collector.take(dir, this.d);
    this.stats.recordsReassembled++;
    this.tlsCall(pb, 0, total, true);
    if (p < end) {
      // tshark dissects what follows a reassembled record in a second call, with the Protocol
      // column frozen and the Info column fenced.
      this.frozen = true;
      this.tlsCall(buf, p, end, false);
    }
  }

  /** Start collecting a record from [p, end) of `buf`; `need` is its total size, 0 when the header is incomplete. */
  private startPending(buf: Buffer, p: number, end: number, need: number): void {
    const dir = this.dir;
    const have = end - p;
    if (!this.collector.ensure(this.conv, dir, need > 0 ? need : Math.max(have, 64))) {
      // Over budget: pass over the record by its length, counting what is not kept.
      this.stats.bytesDropped += need > 0 ? need : have;
      if (need > 0) dir.skip = need - have;
      return;
    }
    buf.copy(dir.pending!, 0, p, end);
    const completed = reassembledPduOf(this.d);
    if (completed !== null && buf === completed.buf) {
      // The bytes come from the PDU this frame completed; from its start, TLS read none of it and
      // the PDU was not complete after all, as tshark's reassembly goes on with the same segments.
      dir.carryPieces(completed, p, end);
      if (p === 0) completed.frame = -1;
    } else {
      if (buf === this.d.buf) this.d.tcp.keepForReassembly(p, end);
      dir.notePiece(this.d.number, have);
    }
    dir.pendingLen = have;
    dir.pendingNeed = need;
    dir.oneMore = need === 0;
  }

  /**
   * One call of tshark's dissect_ssl on [off, end): records until the data runs out, and the
   * start of an incomplete record kept for later segments.
   */
  private tlsCall(buf: Buffer, off: number, end: number, reassembled: boolean): void {
    const t = this.d.tls;
    // Four printable characters are text, not TLS (tshark hands such data back to TCP).
    if (startsWithPrintable(buf, off, end)) return;
    const first = t.role !== SegmentRole.Tls;
    if (!this.frozen) t.protoVersion = this.conv.version;
    t.calls++;
    this.reassembledCall = reassembled;
    this.needMore = false;
    let p = off;
    while (p < end && !this.needMore) {
      const v = this.conv.version;
      if (v === SSLV2_VERSION) {
        p = this.ssl2Record(buf, p, end);
      } else if (isKnownVersion(v) || v === TLCPV1_VERSION) {
        if (end - p < REC_HEADER_LEN) { this.more(0); break; }
        p = isV2ClientHelloStart(buf, p, end) ? this.ssl2Record(buf, p, end) : this.ssl3Record(buf, p, end);
      } else {
        if (end - p < REC_HEADER_LEN) { this.more(0); break; }
        if (looksLikeSslv2(buf, p, end)) p = this.ssl2Record(buf, p, end);
        else if (looksLikeSslv3(buf, p, end)) p = this.ssl3Record(buf, p, end);
        else {
          t.addInfo(InfoKind.ContinuationData, 0);
          p = end;
        }
      }
    }
    if (this.needMore) {
      if (p === off && first && t.infoCount === 0) t.role = SegmentRole.PduStart;
      else t.role = SegmentRole.Tls;
      this.startPending(buf, p, end, this.needTotal);
    } else {
      t.role = SegmentRole.Tls;
    }
    // A segment that only starts a record has still been through TLS (tshark lists tls in frame.protocols).
    if ((t.role === SegmentRole.Tls || t.role === SegmentRole.PduStart) && !this.d.hasLayer(Proto.Tls)) this.d.pushLayer(Proto.Tls, off);
  }

  private more(total: number): void {
    this.needMore = true;
    this.needTotal = total;
  }

  /** RFC 5246 §6.2 record; returns the offset after it (or where data ran out, with needMore set). */
  private ssl3Record(buf: Buffer, p: number, end: number): number {
    const t = this.d.tls;
    const conv = this.conv;
    const sv = conv.version;
    // TLS 1.0–1.2 ignore records of unknown type (RFC 2246 §6) and so does Wireshark, to the end of the data.
    if ((sv === TLSV1_VERSION || sv === TLSV1DOT1_VERSION || sv === TLSV1DOT2_VERSION || sv === TLCPV1_VERSION) &&
        !isValidContentType(buf[p])) {
      t.addInfo(InfoKind.IgnoredUnknownRecord, 0);
      return end;
    }
    if (end - p < REC_HEADER_LEN) { this.more(0); return p; }
    const type = buf[p];
    const rver = buf.readUInt16BE(p + 1);
    const rlen = buf.readUInt16BE(p + 3);
    if (!isValidContentType(type)) {
      t.addInfo(InfoKind.ContinuationData, 0);
      return Math.min(end, p + REC_HEADER_LEN + rlen);
    }
    if (end - p < REC_HEADER_LEN + rlen) { this.more(REC_HEADER_LEN + rlen); return p; }
    const body = p + REC_HEADER_LEN;
    const bodyEnd = body + rlen;
    let flags = this.reassembledCall ? RecordFlag.Reassembled : 0;
    if (sv === TLSV1DOT3_VERSION && type === ContentType.ApplicationData) flags |= RecordFlag.Opaque;
    let version: number;
    if (sv === 0) {
      if (body >= end) {
        // Wireshark reads the byte after the header to judge the version; there is none.
        const r = t.addRecord(buf, p, type, rver, rlen, flags | RecordFlag.Malformed, this.dir.records++);
        if (r >= 0) this.malformed();
        return end;
      }
      this.trySetVersion(type, buf[body], rver);
      if (!this.frozen) t.protoVersion = rver;
      version = rver;
    } else {
      version = sv;
    }
    const rec = t.addRecord(buf, p, type, rver, rlen, flags, this.dir.records++);
    if (rec >= 0) t.shownVersion[rec] = version;
    // After ChangeCipherSpec a NULL-cipher suite only appends a MAC: the content is plaintext
    // (Wireshark reads it as if decrypted).
    const mac = this.dir.nullMac;
    const plainLen = mac > 0 && rlen >= mac ? rlen - mac : rlen;
    switch (type) {
      case ContentType.ChangeCipherSpec:
        t.addInfo(InfoKind.ChangeCipherSpec, 0);
        this.dir.ccsFrame = this.d.number;
        this.dir.nullMac = conv.nullMac;
        break;
      case ContentType.Alert:
        if (plainLen !== 2) t.addInfo(InfoKind.EncryptedAlert, 0);
        else {
          t.addInfo(InfoKind.Alert, (buf[body] << 8) | buf[body + 1]);
          if (rec >= 0) t.recordFlags[rec] |= RecordFlag.PlainAlert;
        }
        break;
      case ContentType.Handshake:
        this.handshakeRecord(buf, body, body + plainLen, rec, version, mac > 0);
        break;
      case ContentType.ApplicationData:
        t.addInfo(InfoKind.ApplicationData, 0);
        break;
      case ContentType.Heartbeat:
        this.heartbeat(buf, body, rlen, version);
        break;
      default:
        break;
    }
    return bodyEnd;
  }

  private heartbeat(buf: Buffer, body: number, rlen: number, version: number): void {
    if (version === TLSV1DOT3_VERSION) return;
    const t = this.d.tls;
    if (rlen < 3) {
      t.addInfo(InfoKind.EncryptedHeartbeat, 0);
      return;
    }
    const type = buf[body];
    const payloadLen = buf.readUInt16BE(body + 1);
    // Plaintext when too short to carry a 16-byte padding/MAC after the payload, RFC 6520 §4.
    const plain = rlen <= 19 || 3 + payloadLen + 16 <= rlen;
    if ((type === 1 || type === 2) && plain) t.addInfo(InfoKind.Heartbeat, type);
    else t.addInfo(InfoKind.EncryptedHeartbeat, 0);
  }

  /** Wireshark's ssl_try_set_version: a record or Server Hello that settles the session's version. */
  private trySetVersion(contentType: number, hsType: number, version: number): void {
    const authoritative = contentType === ContentType.Handshake
      ? isValidHandshakeType(hsType) && hsType !== HandshakeType.ClientHello
      : isValidContentType(contentType);
    if (!authoritative) return;
    if (hsType === HandshakeType.ServerHello && tls13Draft(version) !== 0) version = TLSV1DOT3_VERSION;
    if (!isKnownVersion(version)) return;
    this.conv.version = version;
  }

  private malformed(): void {
    this.stats.malformedRecords++;
    this.d.markMalformed(Malformed.Application, Proto.Tls);
  }

  private markRecordMalformed(rec: number): void {
    if (rec >= 0) this.d.tls.recordFlags[rec] |= RecordFlag.Malformed;
    this.malformed();
  }

  /** Handshake messages in one record's body [p, end); `plain` when it is known not to be encrypted. */
  private handshakeRecord(buf: Buffer, p: number, end: number, rec: number, version: number, plain: boolean): void {
    const dir = this.dir;
    const t = this.d.tls;
    let first = true;
    if (dir.hsActive) {
      // A message continues from earlier records.
      const frags = dir.hsLen;
      let subset = end - p;
      let msgLen = 0;
      if (frags + subset >= HS_HEADER_LEN) {
        const hb = dir.hs!;
        let l = 0;
        for (let i = 1; i < HS_HEADER_LEN; i++) l = (l << 8) | (i < frags ? hb[i] : buf[p + i - frags]);
        msgLen = HS_HEADER_LEN + l;
        if (subset > msgLen - frags) subset = msgLen - frags;
      }
      if (!this.hsAppend(buf, p, p + subset, msgLen)) return;
      dir.noteFragment(this.d.number, subset);
      if (msgLen !== 0 && frags + subset === msgLen) {
        const hb = dir.hs!;
        this.collector.retire(hb);
        dir.hs = null;
        dir.hsActive = false;
        dir.hsLen = 0;
        const before = t.msgCount;
        this.handshakeMessage(hb, 0, msgLen - HS_HEADER_LEN, rec, true, version, MsgFlag.Reassembled);
        if (t.msgCount > before) this.listFragments(t.msgCount - 1);
        dir.dropHandshake(this.collector.pool);
        first = false;
        p += subset;
      } else {
        if (rec >= 0) {
          t.recordFragmentType[rec] = dir.hs![0];
          t.recordFragmentOff[rec] = p;
        }
        return;
      }
    } else if (this.isEncryptedHandshake(buf, p, end, plain)) {
      t.addInfo(InfoKind.EncryptedHandshake, 0);
      return;
    }
    while (p < end) {
      const sub = end - p;
      const msgLen = sub >= HS_HEADER_LEN ? HS_HEADER_LEN + buf.readUIntBE(p + 1, 3) : 0;
      if (msgLen === 0 || sub < msgLen) {
        // The message continues in the next record(s).
        const type = buf[p];
        dir.dropHandshake(this.collector.pool);
        dir.hsActive = true;
        if (this.hsAppend(buf, p, end, msgLen)) {
          dir.noteFragment(this.d.number, end - p);
          if (rec >= 0) {
            t.recordFragmentType[rec] = type;
            t.recordFragmentOff[rec] = p;
          }
        }
        if (first) t.addInfo(InfoKind.HandshakeFragment, type);
        return;
      }
      this.handshakeMessage(buf, p, msgLen - HS_HEADER_LEN, rec, first, version, 0);
      p += msgLen;
      first = false;
    }
  }

  /** Message m of the frame was reassembled from the direction's fragments: list them with it, as tshark's tree does. */
  private listFragments(m: number): void {
    const t = this.d.tls, dir = this.dir;
    t.msgFragFirst[m] = t.fragCount;
    t.msgFragTotal[m] = dir.hsFragTotal;
    for (let f = 0; f < dir.hsFragFrame.length && t.fragCount < MAX_TLS_FRAGMENTS; f++) {
      t.fragFrame[t.fragCount] = dir.hsFragFrame[f];
      t.fragLen[t.fragCount] = dir.hsFragLen[f];
      t.fragCount++;
      t.msgFragShown[m]++;
    }
  }

  /**
   * Append [p, end) to the direction's handshake buffer. A message larger than
   * MAX_HANDSHAKE_REASSEMBLY, or one the buffer budget cannot hold, is not collected (its bytes are
   * counted as dropped) and false is returned.
   */
  private hsAppend(buf: Buffer, p: number, end: number, msgLen: number): boolean {
    const dir = this.dir;
    const n = end - p;
    const need = Math.max(dir.hsLen + n, msgLen);
    let ok = need <= MAX_HANDSHAKE_REASSEMBLY;
    if (ok && (dir.hs === null || dir.hs.length < need)) {
      const nb = this.collector.acquire(this.conv, need);
      if (nb === null) {
        ok = false;
      } else {
        if (dir.hs !== null) {
          dir.hs.copy(nb, 0, 0, dir.hsLen);
          this.collector.pool.release(dir.hs);
        }
        dir.hs = nb;
      }
    }
    if (!ok) {
      this.stats.bytesDropped += dir.hsLen + n;
      dir.dropHandshake(this.collector.pool);
      return false;
    }
    buf.copy(dir.hs!, dir.hsLen, p, end);
    dir.hsLen += n;
    return true;
  }

  private isEncryptedHandshake(buf: Buffer, p: number, end: number, plain: boolean): boolean {
    return looksEncryptedHandshake(buf, p, end, plain);
  }

  /** One complete handshake message at `off` (header included) with a body of `len` bytes. */
  private handshakeMessage(buf: Buffer, off: number, len: number, rec: number, first: boolean, version: number, flags: number): void {
    const t = this.d.tls;
    const type = buf[off];
    const named = isNamedHandshakeType(type);
    if (!named && !first) return;
    let hrr = false;
    if (first && type === HandshakeType.ServerHello && len > 2) {
      scanServerHello(buf, off + HS_HEADER_LEN, off + HS_HEADER_LEN + len, scratch);
      this.trySetVersion(ContentType.Handshake, HandshakeType.ServerHello, scratch[0]);
      hrr = scratch[1] === 1;
    }
    if (!named) {
      t.addInfo(InfoKind.EncryptedHandshake, 0);
      return;
    }
    t.addInfo(hrr ? InfoKind.HelloRetryRequest : InfoKind.Handshake, type);
    if (hrr) flags |= MsgFlag.HelloRetryRequest;
    // The version the session had when the message arrived: a 0-RTT Client Hello is read before its
    // early data makes the session TLS 1.3 (its Random still shows a GMT time, as tshark shows it).
    const readAs = this.conv.version || version;
    if (type === HandshakeType.ClientHello || type === HandshakeType.ServerHello) {
      const h = this.hello;
      if (!h.parse(buf, off, off + HS_HEADER_LEN + len)) {
        flags |= MsgFlag.Malformed;
        this.markRecordMalformed(rec);
      }
      // Early data is only possible in TLS 1.3, so the session is TLS 1.3 from here on.
      if (type === HandshakeType.ClientHello && h.earlyData) this.conv.version = TLSV1DOT3_VERSION;
      if (type === HandshakeType.ServerHello) {
        if (!this.frozen) t.protoVersion = this.conv.version;
        if (h.cipherOff >= 0) this.conv.suite = h.buf.readUInt16BE(h.cipherOff);
        const alpn = alpnProto(h);
        if (alpn !== AppProto.None) this.conv.appProto = t.appProto = alpn;
        const suite = h.cipherOff >= 0 ? cipherSuite(h.buf.readUInt16BE(h.cipherOff)) : undefined;
        this.conv.nullMac = suite !== undefined && suite.kind === CipherKind.Null ? suite.macLen : 0;
      }
    }
    t.suite = this.conv.suite;
    t.addMessage(buf, off, type, len, rec, flags, type === HandshakeType.ClientHello ? readAs : this.conv.version || version);
  }

  /** SSL 2.0 record (draft-hickman-netscape-ssl-00 §2.2); only Hellos and Client Master Key are readable. */
  private ssl2Record(buf: Buffer, p: number, end: number): number {
    const t = this.d.tls;
    const hdr = ssl2HeaderLength(buf[p]);
    if (end - p < hdr) { this.more(0); return p; }
    const rlen = ssl2RecordLength(buf, p);
    if (end - p < hdr + rlen) { this.more(hdr + rlen); return p; }
    const msg = p + hdr;
    const next = msg + rlen;
    const flags = RecordFlag.Sslv2 | (this.reassembledCall ? RecordFlag.Reassembled : 0);
    if (msg >= end) {
      const r = t.addRecord(buf, p, 0, SSLV2_VERSION, rlen, flags | RecordFlag.Malformed, this.dir.records++);
      if (r >= 0) this.malformed();
      return end;
    }
    const type = buf[msg];
    if (this.conv.version === 0 && type >= 2 && type <= 8) this.conv.version = SSLV2_VERSION;
    if (!this.frozen) t.protoVersion = SSLV2_VERSION;
    if (SSL2_MSG_NAMES[type] === undefined || !validV2Handshake(buf, msg, rlen, end)) {
      t.addRecord(buf, p, 0, SSLV2_VERSION, rlen, flags | RecordFlag.Sslv2NoLength, this.dir.records++);
      t.addInfo(InfoKind.Ssl2EncryptedData, 0);
      return next;
    }
    const rec = t.addRecord(buf, p, 0, SSLV2_VERSION, rlen, flags, this.dir.records++);
    t.addInfo(InfoKind.Ssl2Message, type);
    t.addMessage(buf, msg, type, rlen - 1, rec, MsgFlag.Sslv2, SSLV2_VERSION);
    return next;
  }
}

/** Wireshark's check that an SSL 2.0 message is a readable (unencrypted) handshake message. */
function validV2Handshake(buf: Buffer, msg: number, rlen: number, end: number): boolean {
  switch (buf[msg]) {
    case Ssl2Msg.ClientHello:
      return end - msg >= 3 && isValidSslVersion(buf.readUInt16BE(msg + 1));
    case Ssl2Msg.ServerHello:
      return end - msg >= 5 && isValidSslVersion(buf.readUInt16BE(msg + 3));
    case Ssl2Msg.ClientMasterKey:
      return end - msg >= 10 && buf.readUInt16BE(msg + 4) + buf.readUInt16BE(msg + 6) + buf.readUInt16BE(msg + 8) <= rlen;
    default:
      return false;
  }
}

/** -o tcp.reassemble_out_of_order:TRUE, as tshark spells the preference. */
function wantsOutOfOrder(opts: MainOptions): boolean {
  for (const p of opts.pref ?? []) {
    const m = /^tcp\.reassemble_out_of_order:(.*)$/i.exec(p);
    if (m !== null) return /^(true|1|yes)$/i.test(m[1].trim());
  }
  return false;
}

preferences.add('tcp.reassemble_out_of_order');
registerStage({ name: 'tls', after: ['quic'], make: (opts) => new TlsAnalyzer(DEFAULT_TLS_BUFFER_BUDGET, wantsOutOfOrder(opts)) });

/** The application protocol a Server Hello's ALPN selects, among those tcpwatch names. */
/** The application protocol an ALPN extension names (Server Hello, or TLS 1.3's Encrypted Extensions). */
export function alpnProto(h: HelloView): AppProto {
  if (h.alpnOff < 0 || h.alpnEnd - h.alpnOff < 1) return AppProto.None;
  const n = h.buf[h.alpnOff];
  if (h.alpnOff + 1 + n > h.alpnEnd) return AppProto.None;
  const at = h.alpnOff + 1;
  if (n === 2 && h.buf[at] === 0x68 && h.buf[at + 1] === 0x32) return AppProto.Http2; // "h2"
  if (n === 8 && h.buf.compare(HTTP11, 0, 8, at, at + 8) === 0) return AppProto.Http;
  return AppProto.None;
}

const HTTP11 = Buffer.from('http/1.1', 'latin1');
