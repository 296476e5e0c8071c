// PDU framing over TCP, once for every protocol (Wireshark's tcp_dissect_pdus): a protocol over TCP
// says how long the PDU that starts at an offset is; the core places each segment's bytes in its
// stream direction, cuts them into PDUs, collects a PDU that spans segments in a bounded buffer,
// and hands the protocol each whole PDU in the frame that completes it. A frame that only carries a
// piece of a PDU is marked so that the columns read "[TCP segment of a reassembled PDU]", as tshark's.
//
// Which segments are read follows tshark's TCP defaults, as the TLS stage does (src/tls/analyzer.ts):
// bytes are placed in arrival order by relative sequence number; bytes already seen are skipped; a
// segment that TCP analysis calls a retransmission, out of order or a keep-alive is not dissected
// (tcp.no_subdissector_on_error); a gap abandons the PDU being collected and the next segment is
// read from its start.
//
// Memory (pdu-collector.ts, shared with TLS): one BufferPool with a budget over all conversations; a
// PDU larger than MAX_PDU_BYTES is passed over by its length; when the budget is spent, the
// conversations that started collecting longest ago give up what they hold. At most
// MAX_CONVERSATIONS framed conversations at a time.

import { Dissection } from '../decode/dissection';
import { TH_FIN, TH_RST } from '../decode/tcp';
import { anyFramedProtocol, framedProtocol, heuristicRunsPast, FramedProtocol, PDU_NOT_MINE, PDU_UNTIL_CLOSE } from '../decode/protocol-registry';
import { registerStage } from '../hooks';
import { NOT_DISSECTED } from './tcp-analysis';
import { placeSegment, placed } from './arrival-order';
import { pduFrames, PduFrame, PduRole } from './pdu-frame';
import { BufferPool } from './buffer-pool';
import { CollectingDirection, CollectingStats, PduCollector } from './pdu-collector';

/** Default budget of bytes held in PDU buffers over all conversations. */
export const DEFAULT_PDU_BUFFER_BUDGET = 64 * 1024 * 1024;
/** A PDU longer than this is passed over by its length rather than collected. */
export const MAX_PDU_BYTES = 16 * 1024 * 1024;

class Direction extends CollectingDirection {
  /** Ask the protocol for the PDU's length again once this many bytes are held. */
  askAt = 0;
  /** The PDU runs to the end of the connection (a response without a length). */
  untilClose = false;

  protected clearPendingState(): void {
    this.askAt = 0;
    this.untilClose = false;
  }
}

class Conversation {
  readonly dirs: [Direction, Direction] = [new Direction(), new Direction()];
  /** The protocol's own state for the conversation (its newConversation()). */
  readonly state: unknown;
  constructor(readonly proto: FramedProtocol, srcPort: number, dstPort: number) {
    this.state = proto.spec.tcpPdu.newConversation?.(srcPort, dstPort) ?? null;
  }
}

export interface PduFramingStats extends CollectingStats {
  pdusReassembled: number;
}

/** The analysis stage that frames every TCP conversation a framed protocol claims. */
export class TcpPduFraming {
  readonly stats: PduFramingStats = { conversations: 0, pdusReassembled: 0, bytesDropped: 0, bytesLost: 0 };
  private readonly collector: PduCollector<Conversation>;
  private d!: Dissection;
  private out!: PduFrame;
  private conv!: Conversation;

  constructor(budget = DEFAULT_PDU_BUFFER_BUDGET) {
    this.collector = new PduCollector(budget, this.stats, MAX_PDU_BYTES);
  }

  get pool(): BufferPool {
    return this.collector.pool;
  }

  analyze(d: Dissection): void {
    this.collector.beginFrame();
    if (d.tcpOff < 0 || d.inIcmpError || d.tcp.stream < 0) return;
    let conv = this.collector.conversation(d.tcp.stream);
    // A RST's payload is its reset cause (RFC 1122 §4.2.2.12): Wireshark hands it to no protocol.
    const rst = (d.tcpFlags & TH_RST) !== 0;
    if (conv === undefined) {
      if (d.payloadLen === 0 || rst) return;
      const proto = framedProtocol(d.srcPort, d.dstPort, d.buf, d.payloadOff, d.payloadOff + d.payloadCapLen);
      if (proto === undefined) {
        if (d.payloadCapLen < d.payloadLen && !(d.tcp.flags & NOT_DISSECTED) && heuristicRunsPast(d.buf, d.payloadOff, d.payloadOff + d.payloadCapLen)) {
          const out = pduFrames.of(d);
          out.reset(d.number);
          out.role = PduRole.TruncatedBeforeProtocol;
        }
        return;
      }
      conv = new Conversation(proto, d.srcPort, d.dstPort);
      this.collector.add(d.tcp.stream, conv);
    }
    this.d = d;
    this.conv = conv;
    const out = pduFrames.of(d);
    out.reset(d.number);
    out.proto = conv.proto.id;
    this.out = out;
    if (d.payloadLen > 0 && !rst) this.payload(d, conv);
    if (d.tcpFlags & (TH_FIN | TH_RST)) this.closing(d, conv);
  }

  private payload(d: Dissection, conv: Conversation): void {
    const len = d.payloadLen;
    const dir = conv.dirs[d.tcp.direction & 1];
    const p = placeSegment(d, dir);
    if (placed.lost > 0) this.lose(dir, placed.lost);
    if (p < 0) return;
    const end = d.payloadOff + d.payloadCapLen;
    if (d.payloadCapLen < len) {
      // Bytes beyond the snapshot length never arrive: nothing of this segment can be reassembled,
      // and what was being collected cannot complete. The protocol reads what was captured.
      this.lose(dir, len - d.payloadCapLen);
      const text = p < end ? this.conv.proto.spec.tcpPdu.truncated?.(d.buf, p, end) ?? null : null;
      if (p < end) {
        this.out.role = text !== null ? PduRole.Truncated : PduRole.TruncatedBeforeProtocol;
        this.out.headline = text ?? '';
      }
      return;
    }
    if (p < end) this.segment(dir, d.buf, p, end);
  }

  /** One segment's new bytes [p, end) of a direction. */
  private segment(dir: Direction, buf: Buffer, p: number, end: number): void {
    if (dir.skip > 0) {
      const n = Math.min(dir.skip, end - p);
      dir.skip -= n;
      p += n;
      if (p >= end) {
        this.piece();
        return;
      }
    }
    if (dir.pending !== null) {
      p = this.continuePending(dir, buf, p, end);
      if (p < 0) return;
    }
    const spec = this.conv.proto.spec.tcpPdu;
    for (let atStart = true; p < end; atStart = false) {
      const n = spec.pduLength(buf, p, end, this.conv.state, atStart);
      if (n === PDU_NOT_MINE) return; // the rest is not this protocol's: left to TCP as data
      if (n > 0 && p + n <= end) {
        this.dissect(buf, p, p + n, false);
        p += n;
        continue;
      }
      // The PDU goes on in later segments.
      if (this.out.pdus === 0) this.piece(spec.headline?.(buf, p, end) ?? null);
      this.startPending(dir, buf, p, end, n);
      return;
    }
  }

  /** Add [p, end) to the PDU being collected; returns where the bytes after it start, or -1 when all were taken. */
  private continuePending(dir: Direction, buf: Buffer, p: number, end: number): number {
    const spec = this.conv.proto.spec.tcpPdu;
    const take = dir.pendingNeed > 0 ? Math.min(dir.pendingNeed - dir.pendingLen, end - p) : end - p;
    if (!this.collector.ensure(this.conv, dir, dir.pendingLen + take)) {
      this.stats.bytesDropped += dir.pendingLen + take;
      if (dir.pendingNeed > 0) dir.skip = dir.pendingNeed - dir.pendingLen - take;
      this.collector.drop(dir);
      this.piece();
      return p + take < end ? p + take : -1;
    }
    buf.copy(dir.pending!, dir.pendingLen, p, p + take);
    dir.pendingLen += take;
    let used = take;
    if (dir.pendingNeed === 0 && !dir.untilClose && dir.pendingLen >= dir.askAt) {
      // The length may be known now.
      const n = spec.pduLength(dir.pending!, 0, dir.pendingLen, this.conv.state, true);
      if (n === PDU_NOT_MINE) {
        this.collector.drop(dir);
        return -1;
      }
      if (n > 0) {
        if (n > MAX_PDU_BYTES) {
          this.stats.bytesDropped += n;
          dir.skip = n - dir.pendingLen;
          this.collector.drop(dir);
          this.piece();
          return -1;
        }
        // Bytes past the PDU's end belong to the next one: give them back to the segment.
        if (n < dir.pendingLen) {
          used -= dir.pendingLen - n;
          dir.pendingLen = n;
        }
        dir.pendingNeed = n;
      } else if (n === PDU_UNTIL_CLOSE) {
        dir.untilClose = true;
      } else {
        dir.askAt = Math.max(dir.pendingLen + 1, -n);
      }
    }
    this.d.tcp.keepForReassembly(p, p + used);
    dir.notePiece(this.d.number, used);
    if (dir.pendingNeed > 0 && dir.pendingLen >= dir.pendingNeed) {
      const total = dir.pendingNeed;
      const pb = this.collector.take(dir, this.d);
      this.stats.pdusReassembled++;
      this.dissect(pb, 0, total, true);
      return p + used < end ? p + used : -1;
    }
    if (this.out.pdus === 0) this.piece();
    return -1;
  }

  /** Start collecting a PDU from [p, end); `n` is pduLength's answer (its length, or what to wait for). */
  private startPending(dir: Direction, buf: Buffer, p: number, end: number, n: number): void {
    const have = end - p;
    if (n > MAX_PDU_BYTES) {
      this.stats.bytesDropped += n;
      dir.skip = n - have;
      return;
    }
    const size = n > 0 ? n : Math.max(have * 2, 256);
    if (!this.collector.ensure(this.conv, dir, Math.min(size, MAX_PDU_BYTES))) {
      this.stats.bytesDropped += n > 0 ? n : have;
      if (n > 0) dir.skip = n - have;
      return;
    }
    buf.copy(dir.pending!, 0, p, end);
    if (buf === this.d.buf) this.d.tcp.keepForReassembly(p, end);
    dir.notePiece(this.d.number, have);
    dir.pendingLen = have;
    dir.pendingNeed = n > 0 ? n : 0;
    dir.untilClose = n === PDU_UNTIL_CLOSE;
    dir.askAt = n < 0 && n !== PDU_UNTIL_CLOSE ? Math.max(have + 1, -n) : 0;
  }

  private dissect(buf: Buffer, off: number, end: number, reassembled: boolean): void {
    const p = this.conv.proto;
    this.out.pdus++;
    this.out.role = PduRole.None;
    p.spec.tcpPdu.dissect(this.d, p.layer(this.d), buf, off, end, reassembled, p.id, this.conv.state);
  }

  private piece(headline: string | null = null): void {
    if (this.out.pdus !== 0) return;
    if (headline !== null) {
      this.out.role = PduRole.PieceWithHeadline;
      this.out.headline = headline;
    } else if (this.out.role === PduRole.None) {
      this.out.role = PduRole.Piece;
    }
  }

  /**
   * A FIN ends what its side can send: a PDU that runs to the end of the connection is complete and
   * dissected in this frame; any other being collected there will not complete. A RST ends both.
   */
  private closing(d: Dissection, conv: Conversation): void {
    const rst = (d.tcpFlags & TH_RST) !== 0;
    for (let i = 0; i < 2; i++) {
      if (!rst && i !== (d.tcp.direction & 1)) continue;
      const dir = conv.dirs[i];
      if (dir.untilClose && dir.pending !== null && i === (d.tcp.direction & 1)) {
        const total = dir.pendingLen;
        const pb = this.collector.take(dir, d);
        this.stats.pdusReassembled++;
        this.dissect(pb, 0, total, true);
      }
      this.lose(dir, dir.pendingLen);
      dir.finished = true;
    }
    if (conv.dirs[0].finished && conv.dirs[1].finished) this.collector.end(d.tcp.stream, conv);
  }

  private lose(dir: Direction, bytes: number): void {
    this.collector.lose(dir, bytes);
  }
}

registerStage({ name: 'tcp-pdu', after: [], make: () => (anyFramedProtocol() ? new TcpPduFraming() : null) });
