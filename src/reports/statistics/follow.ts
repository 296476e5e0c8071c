// Follow a stream (tshark's -z follow,tcp|udp,MODE,N): the payload of one TCP or UDP stream as
// chunks, each from the client (node 0, who sent the stream's first packet) or the server. TCP
// data is put in sequence order once: retransmitted bytes are dropped, segments that arrive
// early wait for the gap to fill. What is kept is bounded by MAX_FOLLOW_BYTES.

import { Dissection } from '../../decode/dissection';
import { ipv4At, ipv6At } from '../../fields/format';
import { udpStreamOf } from '../../analysis/udp-stream-info';

export type FollowProto = 'tcp' | 'udp';

export interface FollowChunk {
  fromServer: boolean;
  data: Buffer;
}

/** Payload kept for one followed stream; past it the rest is counted, not stored. */
export const MAX_FOLLOW_BYTES = 64 * 1024 * 1024;
/** Early segments waiting for a gap per direction. */
const MAX_WAITING = 1024;

interface Direction {
  /** Next expected raw sequence number, or -1 before the first segment. */
  next: number;
  waiting: { seq: number; data: Buffer }[];
}

export class StreamFollower {
  readonly chunks: FollowChunk[] = [];
  client = '';
  server = '';
  clientPort = 0;
  serverPort = 0;
  ipv6 = false;
  /** Bytes not kept past MAX_FOLLOW_BYTES. */
  truncated = 0;
  private seen = false;
  private stored = 0;
  private readonly dirs: [Direction, Direction] = [{ next: -1, waiting: [] }, { next: -1, waiting: [] }];

  constructor(readonly proto: FollowProto, readonly stream: number) {}

  add(d: Dissection): void {
    if (d.inIcmpError || d.netOff < 0) return;
    if (this.proto === 'tcp') {
      if (d.tcpOff < 0 || d.tcp.stream !== this.stream) return;
    } else {
      if (d.udpOff < 0 || udpStreamOf(d)?.stream !== this.stream) return;
    }
    const v6 = d.netVersion === 6;
    const src = v6 ? ipv6At(d.buf, d.netOff + 8) : ipv4At(d.buf, d.netOff + 12);
    if (!this.seen) {
      this.seen = true;
      this.ipv6 = v6;
      this.client = src;
      this.clientPort = d.srcPort;
      this.server = v6 ? ipv6At(d.buf, d.netOff + 24) : ipv4At(d.buf, d.netOff + 16);
      this.serverPort = d.dstPort;
    }
    const fromServer = !(src === this.client && d.srcPort === this.clientPort);
    const len = Math.max(0, Math.min(d.payloadCapLen, d.payloadLen));
    if (this.proto === 'udp') {
      if (len > 0) this.keep(fromServer, d.buf.subarray(d.payloadOff, d.payloadOff + len));
      return;
    }
    const dir = this.dirs[fromServer ? 1 : 0];
    const syn = (d.tcpFlags & 0x02) !== 0;
    if (dir.next < 0) dir.next = (d.seqRaw + (syn ? 1 : 0)) >>> 0;
    if (len === 0) return;
    this.place(dir, fromServer, syn ? (d.seqRaw + 1) >>> 0 : d.seqRaw, d.buf.subarray(d.payloadOff, d.payloadOff + len));
  }

  private place(dir: Direction, fromServer: boolean, seq: number, data: Buffer): void {
    // distance from the expected number, in sequence space (wraps at 2^32)
    const ahead = ((seq - dir.next) | 0);
    if (ahead > 0) {
      if (dir.waiting.length < MAX_WAITING) dir.waiting.push({ seq, data: Buffer.from(data) });
      return;
    }
    const skip = -ahead;
    if (skip >= data.length) return;
    this.keep(fromServer, skip ? data.subarray(skip) : data);
    dir.next = (dir.next + data.length - skip) >>> 0;
    // segments that waited for this one
    for (let progress = true; progress && dir.waiting.length > 0;) {
      progress = false;
      for (let i = 0; i < dir.waiting.length; i++) {
        const w = dir.waiting[i];
        if (((w.seq - dir.next) | 0) <= 0) {
          dir.waiting.splice(i, 1);
          this.place(dir, fromServer, w.seq, w.data);
          progress = true;
          break;
        }
      }
    }
  }

  private keep(fromServer: boolean, data: Buffer): void {
    if (this.stored + data.length > MAX_FOLLOW_BYTES) {
      this.truncated += data.length;
      return;
    }
    this.stored += data.length;
    this.chunks.push({ fromServer, data: Buffer.from(data) });
  }
}
