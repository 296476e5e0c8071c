// The TCP and UDP conversations tables (Wireshark's Statistics › Conversations, TCP and UDP tabs),
// computed from the index columns: for TCP in one pass, per tcp.stream the two endpoints, packets and bytes each way, when it
// started and how long it lasted, and which of SYN, FIN and RST it saw.

import { TH_SYN, TH_FIN, TH_RST } from '../decode/tcp';
import { PacketIndex } from './packet-index';
import { CHUNK_BITS, CHUNK_MASK, Misc, NO_STREAM } from './columns';
import { Proto } from '../decode/dissection';
import { isRegistered } from '../decode/protocol-registry';

export const enum ConvFlag {
  Syn = 1,
  Fin = 2,
  Rst = 4,
}

/** One row per stream, as parallel typed arrays (streams can number in the hundreds of thousands). */
export class ConversationTable {
  readonly n: number;
  /** Client (side that sent the first packet) and server address ids and ports. */
  readonly clientAddr: Uint32Array;
  readonly serverAddr: Uint32Array;
  readonly clientPort: Uint16Array;
  readonly serverPort: Uint16Array;
  readonly packetsToServer: Uint32Array;
  readonly packetsToClient: Uint32Array;
  readonly bytesToServer: Float64Array;
  readonly bytesToClient: Float64Array;
  readonly firstPacket: Int32Array;
  readonly lastPacket: Int32Array;
  readonly start: Float64Array;
  readonly end: Float64Array;
  readonly flags: Uint8Array;

  constructor(n: number) {
    this.n = n;
    this.clientAddr = new Uint32Array(n);
    this.serverAddr = new Uint32Array(n);
    this.clientPort = new Uint16Array(n);
    this.serverPort = new Uint16Array(n);
    this.packetsToServer = new Uint32Array(n);
    this.packetsToClient = new Uint32Array(n);
    this.bytesToServer = new Float64Array(n);
    this.bytesToClient = new Float64Array(n);
    this.firstPacket = new Int32Array(n).fill(-1);
    this.lastPacket = new Int32Array(n).fill(-1);
    this.start = new Float64Array(n);
    this.end = new Float64Array(n);
    this.flags = new Uint8Array(n);
  }
}

/** Packet indices in ascending order: a display filter's matches (src/store/filter-run.ts). */
export interface PacketList {
  readonly length: number;
  get(k: number): number;
}

/**
 * Conversations among the first `upTo` packets, or among the packets of `only` (what the display
 * filter shows). An ICMP error quoting a segment is not the stream's traffic (tshark's tables leave
 * it out), so a stream seen only in a quote has no packets (firstPacket -1).
 */
export function buildConversations(ix: PacketIndex, upTo = ix.count, only: PacketList | null = null): ConversationTable {
  const t = new ConversationTable(ix.streamCount);
  const n = only !== null ? only.length : upTo;
  for (let k = 0; k < n; k++) {
    const i = only !== null ? only.get(k) : k;
    if (i >= upTo) break;
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    const misc = c.misc, len = c.origLen, fl = c.tcpFlags, s = c.stream[j];
    if (s === NO_STREAM || s >= t.n || (misc[j] & Misc.IcmpQuote) !== 0) continue;
    const fromServer = (misc[j] & Misc.FromServer) !== 0;
    if (t.firstPacket[s] < 0) {
      t.firstPacket[s] = i;
      t.start[s] = c.tsSec[j] + c.tsNsec[j] / 1e9;
      t.clientAddr[s] = fromServer ? c.dst[j] : c.src[j];
      t.serverAddr[s] = fromServer ? c.src[j] : c.dst[j];
      t.clientPort[s] = fromServer ? c.dstPort[j] : c.srcPort[j];
      t.serverPort[s] = fromServer ? c.srcPort[j] : c.dstPort[j];
    }
    t.lastPacket[s] = i;
    t.end[s] = c.tsSec[j] + c.tsNsec[j] / 1e9;
    if (fromServer) {
      t.packetsToClient[s]++;
      t.bytesToClient[s] += len[j];
    } else {
      t.packetsToServer[s]++;
      t.bytesToServer[s] += len[j];
    }
    const f = fl[j];
    if (f & TH_SYN) t.flags[s] |= ConvFlag.Syn;
    if (f & TH_FIN) t.flags[s] |= ConvFlag.Fin;
    if (f & TH_RST) t.flags[s] |= ConvFlag.Rst;
  }
  return t;
}

/**
 * A row of a UDP datagram: UDP, or a protocol registered above it (DNS, QUIC …) outside any TCP
 * stream; ICMP, ICMPv6 and ARP are registered too, and are not.
 */
export function isUdpRow(proto: number, stream: number): boolean {
  if (stream !== NO_STREAM) return false;
  if (proto === Proto.Udp) return true;
  return proto !== Proto.Tcp && proto !== Proto.Icmp && proto !== Proto.Icmpv6 && proto !== Proto.Arp && isRegistered(proto);
}

/** One key for both directions of a UDP conversation, from address ids and ports. */
export function udpKey(a: number, pa: number, b: number, pb: number): string {
  return a < b || (a === b && pa <= pb) ? `${a}:${pa}/${b}:${pb}` : `${b}:${pb}/${a}:${pa}`;
}

/** udp.stream of each UDP conversation's key, numbered as the analysis numbers them: in the order their first datagram appears. */
export function udpStreamNumbers(ix: PacketIndex): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < ix.count; i++) {
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    if (!isUdpRow(c.proto[j], c.stream[j])) continue;
    const k = udpKey(c.src[j], c.srcPort[j], c.dst[j], c.dstPort[j]);
    if (!m.has(k)) m.set(k, m.size);
  }
  return m;
}

/** The UDP conversations table, one row per udp.stream, over all packets or those of `only`; the client sent the first datagram. */
export function buildUdpConversations(ix: PacketIndex, only: PacketList | null = null): ConversationTable {
  const numbers = udpStreamNumbers(ix);
  const t = new ConversationTable(numbers.size);
  const n = only !== null ? only.length : ix.count;
  for (let k = 0; k < n; k++) {
    const i = only !== null ? only.get(k) : k;
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    if (!isUdpRow(c.proto[j], c.stream[j]) || (c.misc[j] & Misc.IcmpQuote) !== 0) continue;
    const s = numbers.get(udpKey(c.src[j], c.srcPort[j], c.dst[j], c.dstPort[j]))!;
    const time = c.tsSec[j] + c.tsNsec[j] / 1e9;
    if (t.firstPacket[s] < 0) {
      t.firstPacket[s] = i;
      t.start[s] = time;
      t.clientAddr[s] = c.src[j];
      t.serverAddr[s] = c.dst[j];
      t.clientPort[s] = c.srcPort[j];
      t.serverPort[s] = c.dstPort[j];
    }
    t.lastPacket[s] = i;
    t.end[s] = time;
    const toServer = c.src[j] === t.clientAddr[s] && c.srcPort[j] === t.clientPort[s];
    if (toServer) {
      t.packetsToServer[s]++;
      t.bytesToServer[s] += c.origLen[j];
    } else {
      t.packetsToClient[s]++;
      t.bytesToClient[s] += c.origLen[j];
    }
  }
  return t;
}
