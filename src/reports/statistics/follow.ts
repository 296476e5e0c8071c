// Follow a stream (tshark's -z follow,tcp|udp|tls|http,MODE,N): what one TCP or UDP stream carried,
// as chunks, each from node 0 or node 1. TCP and UDP: the payload, node 0 who sent the stream's
// first packet; TCP data is put in sequence order once (retransmitted bytes are dropped, segments
// that arrive early wait for the gap to fill). TLS: each decrypted application data record, node 0
// the sender of the first frame with any decrypted record (in TLS 1.3 the server, whose encrypted
// handshake comes first), node 1 left unknown, as tshark's follow,tls. HTTP: the pieces of the
// HTTP/1.x messages (src/protocols/http/follow.ts), node 0 the sender of the first one. HTTP/2: the
// frames of one HTTP/2 stream of the connection (src/protocols/http2/follow.ts), node 0 the sender
// of the first. What is kept is bounded by MAX_FOLLOW_BYTES.

import { Dissection } from '../../decode/dissection';
import { ipv4At, ipv6At } from '../../fields/format';
import { udpStreamOf } from '../../analysis/udp-stream-info';
import { decryptInfoOf } from '../../tls/decrypt-info';
import { httpFollowPieces } from '../../protocols/http/follow';
import { http2FollowPieces } from '../../protocols/http2/follow';

export type FollowProto = 'tcp' | 'udp' | 'tls' | 'http' | 'http2';

export interface FollowChunk {
  /** From node 1 (for TCP and UDP the server: the side that did not send first). */
  fromServer: boolean;
  data: Buffer;
  /** The frame the bytes came with (its number, from 1). */
  frame: number;
}

/**
 * The display filter that selects what is followed, as tshark's follow names it: TLS, HTTP and
 * HTTP/2 are followed by their TCP stream, HTTP/2 by its HTTP/2 stream in it too.
 */
export function followFilter(proto: FollowProto, stream: number, substream: number): string {
  if (proto === 'udp') return `udp.stream eq ${stream}`;
  return proto === 'http2' ? `tcp.stream eq ${stream} and http2.streamid eq ${substream}` : `tcp.stream eq ${stream}`;
}

/** Payload kept for one followed stream by default; past it the rest is counted, not stored. */
export const MAX_FOLLOW_BYTES = 64 * 1024 * 1024;
/** Early segments waiting for a gap per direction. */
const MAX_WAITING = 1024;

interface Direction {
  /** Next expected raw sequence number, or -1 before the first segment. */
  next: number;
  waiting: { seq: number; data: Buffer; frame: number }[];
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

  /**
   * `stream` -1: every TCP frame given is the stream's (a replay of one stream's packets);
   * `substream`: for HTTP/2, the HTTP/2 stream followed within the connection.
   */
  constructor(readonly proto: FollowProto, readonly stream: number, private readonly maxBytes = MAX_FOLLOW_BYTES, readonly substream = 0) {}

  add(d: Dissection): void {
    if (d.inIcmpError || d.netOff < 0) return;
    if (this.proto === 'udp') {
      if (d.udpOff < 0 || udpStreamOf(d)?.stream !== this.stream) return;
    } else if (d.tcpOff < 0 || (this.stream >= 0 && d.tcp.stream !== this.stream)) {
      return;
    }
    if (this.proto === 'tls') {
      const info = decryptInfoOf(d);
      if (!info.anyPlaintext()) return;
      const fromServer = this.from(d, false);
      for (let r = 0; r < info.count; r++) {
        const data = info.applicationData(r);
        if (data !== null) this.keep(fromServer, data, d.number);
      }
      return;
    }
    if (this.proto === 'http') {
      httpFollowPieces(d, (data) => this.keep(this.from(d, true), data, d.number));
      return;
    }
    if (this.proto === 'http2') {
      http2FollowPieces(d, this.substream, (data) => this.keep(this.from(d, true), data, d.number));
      return;
    }
    const fromServer = this.from(d, true);
    const len = Math.max(0, Math.min(d.payloadCapLen, d.payloadLen));
    if (this.proto === 'udp') {
      if (len > 0) this.keep(fromServer, d.buf.subarray(d.payloadOff, d.payloadOff + len), d.number);
      return;
    }
    const dir = this.dirs[fromServer ? 1 : 0];
    const syn = (d.tcpFlags & 0x02) !== 0;
    if (dir.next < 0) dir.next = (d.seqRaw + (syn ? 1 : 0)) >>> 0;
    if (len === 0) return;
    this.place(dir, fromServer, syn ? (d.seqRaw + 1) >>> 0 : d.seqRaw, d.buf.subarray(d.payloadOff, d.payloadOff + len), d.number);
  }

  /**
   * Whether the frame is from node 1; the first frame that counts names node 0 (its sender) and,
   * with `both`, node 1 (its receiver).
   */
  private from(d: Dissection, both: boolean): boolean {
    const v6 = d.netVersion === 6;
    const src = v6 ? ipv6At(d.buf, d.netOff + 8) : ipv4At(d.buf, d.netOff + 12);
    if (!this.seen) {
      this.seen = true;
      this.ipv6 = v6;
      this.client = src;
      this.clientPort = d.srcPort;
      if (both) {
        this.server = v6 ? ipv6At(d.buf, d.netOff + 24) : ipv4At(d.buf, d.netOff + 16);
        this.serverPort = d.dstPort;
      }
    }
    return !(src === this.client && d.srcPort === this.clientPort);
  }

  private place(dir: Direction, fromServer: boolean, seq: number, data: Buffer, frame: number): void {
    // distance from the expected number, in sequence space (wraps at 2^32)
    const ahead = ((seq - dir.next) | 0);
    if (ahead > 0) {
      if (dir.waiting.length < MAX_WAITING) dir.waiting.push({ seq, data: Buffer.from(data), frame });
      return;
    }
    const skip = -ahead;
    if (skip >= data.length) return;
    this.keep(fromServer, skip ? data.subarray(skip) : data, frame);
    dir.next = (dir.next + data.length - skip) >>> 0;
    // segments that waited for this one
    for (let progress = true; progress && dir.waiting.length > 0;) {
      progress = false;
      for (let i = 0; i < dir.waiting.length; i++) {
        const w = dir.waiting[i];
        if (((w.seq - dir.next) | 0) <= 0) {
          dir.waiting.splice(i, 1);
          this.place(dir, fromServer, w.seq, w.data, w.frame);
          progress = true;
          break;
        }
      }
    }
  }

  private keep(fromServer: boolean, data: Buffer, frame: number): void {
    if (this.truncated > 0 || this.stored + data.length > this.maxBytes) {
      this.truncated += data.length;
      return;
    }
    this.stored += data.length;
    this.chunks.push({ fromServer, data: Buffer.from(data), frame });
  }
}
