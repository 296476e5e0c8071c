// The data of a tcptrace-style stream graph ("Stevens/tcptrace" in Wireshark's TCP Stream Graphs)
// for one direction of one TCP stream: each data segment as the sequence numbers it covers at the
// time it was seen, retransmissions marked as the TCP analysis judged them; from the other
// direction, the acknowledged sequence number, the right edge of the receive window (ack + window)
// and the SACK blocks. Read back from the store, one decode per packet; the UI only draws it.

import { Dissection } from '../decode/dissection';
import { TH_SYN, TH_FIN } from '../decode/tcp';
import { RETRANSMISSION_FLAGS } from '../analysis/tcp-analysis';
import { PacketStore } from './packet-store';
import { CHUNK_BITS, CHUNK_MASK, Misc, WINDOW_UNKNOWN } from './columns';

/** Packets of one stream the graph reads; a longer stream shows its beginning. */
export const MAX_GRAPH_PACKETS = 500_000;

export interface GraphSegment {
  /** Seconds since the capture's first packet (frame.time_relative). */
  t: number;
  /** Relative sequence numbers the segment covers, [seq, end); SYN and FIN count one. */
  seq: number;
  end: number;
  packet: number;
  retransmission: boolean;
}

export interface GraphAck {
  t: number;
  ack: number;
  /** ack + the scaled receive window: what the sender may send up to; -1 when the scale is unknown. */
  windowEdge: number;
  /** SACK blocks, relative: [left, right) pairs. */
  sacks: number[];
  packet: number;
}

export interface StreamGraphData {
  stream: number;
  /** The direction drawn: 0 client → server, 1 server → client. */
  direction: 0 | 1;
  from: string;
  to: string;
  segments: GraphSegment[];
  acks: GraphAck[];
  /** Time range: the stream's first and last packet (either direction). */
  t0: number;
  t1: number;
  /** Sequence range of the direction drawn: its lowest relative seq and highest next seq. */
  seq0: number;
  seq1: number;
  /** Payload bytes the direction sent, retransmissions included. */
  bytes: number;
  retransmissions: number;
  truncated: boolean;
}

const TWO32 = 4294967296;

/** Which direction to draw by default: the selected packet's if it carries data, else the one that sent more. */
export function graphDirection(store: PacketStore, stream: number, selected: number): 0 | 1 {
  const d = new Dissection();
  if (selected >= 0 && store.load(selected, d) && d.tcp.stream === stream && d.payloadLen > 0) return d.tcp.direction === 1 ? 1 : 0;
  const bytes = [0, 0];
  for (const i of store.streamPackets(stream).slice(0, MAX_GRAPH_PACKETS)) {
    if (store.load(i, d)) bytes[d.tcp.direction === 1 ? 1 : 0] += d.payloadLen;
  }
  return bytes[1] > bytes[0] ? 1 : 0;
}

export function streamGraph(store: PacketStore, stream: number, direction: 0 | 1): StreamGraphData {
  const ix = store.index;
  const packets = store.streamPackets(stream);
  const n = Math.min(packets.length, MAX_GRAPH_PACKETS);
  const g: StreamGraphData = {
    stream, direction, from: '', to: '', segments: [], acks: [], t0: 0, t1: 0, seq0: 0, seq1: 0, bytes: 0, retransmissions: 0, truncated: packets.length > n,
  };
  const c0 = ix.chunks[0];
  const firstSec = c0 !== undefined ? c0.tsSec[0] : 0, firstNsec = c0 !== undefined ? c0.tsNsec[0] : 0;
  const d = new Dissection();
  let seq0 = Infinity, seq1 = -Infinity;
  for (let k = 0; k < n; k++) {
    const i = packets[k];
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    const t = (c.tsSec[j] - firstSec) + (c.tsNsec[j] - firstNsec) / 1e9;
    if (k === 0) g.t0 = t;
    g.t1 = t;
    const dir = c.misc[j] & Misc.FromServer ? 1 : 0;
    if (g.from === '' && dir === direction) {
      g.from = `${ix.addresses.text(c.src[j])}:${c.srcPort[j]}`;
      g.to = `${ix.addresses.text(c.dst[j])}:${c.dstPort[j]}`;
    }
    if (!store.load(i, d)) continue;
    if (dir === direction) {
      const seq = d.tcp.relSeq;
      // SYN and FIN take a sequence number each, as the graph's stairs show them.
      const len = d.payloadLen + (d.tcpFlags & TH_SYN ? 1 : 0) + (d.tcpFlags & TH_FIN ? 1 : 0);
      const retransmission = (c.analysis[j] & RETRANSMISSION_FLAGS) !== 0;
      if (seq < seq0) seq0 = seq;
      if (seq + len > seq1) seq1 = seq + len;
      g.bytes += d.payloadLen;
      if (retransmission) g.retransmissions++;
      g.segments.push({ t, seq, end: seq + len, packet: i, retransmission });
    } else if (d.tcp.hasAck && (c.misc[j] & Misc.AckRelative) !== 0) {
      const win = c.window[j];
      const sacks: number[] = [];
      for (let s = 0; s < d.sackCount; s++) {
        const le = d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[s]));
        const re = d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[s] + 4));
        // D-SACK and stale blocks below the cumulative ACK are still drawn where they lie.
        if ((re - le + TWO32) % TWO32 < TWO32 / 2) sacks.push(le, re);
      }
      g.acks.push({ t, ack: d.tcp.relAck, windowEdge: win === WINDOW_UNKNOWN ? -1 : d.tcp.relAck + win, sacks, packet: i });
    }
  }
  if (g.from === '') {
    // The direction sent nothing: name it from the stream's first packet, reversed if need be.
    const i = packets[0];
    if (i !== undefined) {
      const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
      const a = `${ix.addresses.text(c.src[j])}:${c.srcPort[j]}`, b = `${ix.addresses.text(c.dst[j])}:${c.dstPort[j]}`;
      const first = c.misc[j] & Misc.FromServer ? 1 : 0;
      [g.from, g.to] = first === direction ? [a, b] : [b, a];
    }
  }
  g.seq0 = Number.isFinite(seq0) ? seq0 : 0;
  g.seq1 = Number.isFinite(seq1) ? seq1 : 0;
  return g;
}
