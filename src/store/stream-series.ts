// The data of the other graphs of Wireshark's TCP Stream Graphs dialog for one direction of one
// TCP stream, beside the tcptrace graph (stream-graph.ts):
// - Throughput: the direction's payload bytes (tcp.len, retransmissions included) per fixed
//   interval, in bytes per second. Intervals are counted from the capture's first packet in whole
//   microseconds, as tshark's `-z io,stat,INTERVAL,"SUM(tcp.len)…"` bins them, so each value is
//   that table's sum divided by the interval. (Wireshark's dialog uses a moving average over
//   segments instead; a fixed interval is what tshark can check.)
// - Round-trip time: tcp.analysis.ack_rtt of the other direction's ACKs, each plotted at the time
//   of the segment it acknowledges (tcp.analysis.acks_frame), as Wireshark's RTT graph places them.
// - Window scaling: the receiver's calculated window (tcp.window_size) of every packet of the other
//   direction, and tcp.analysis.bytes_in_flight of this direction's segments.
// - One-way delay (streamDelays), for a stream seen at two capture points: each direction's segments
//   paired with their copies at the other point as -z pairs pairs them, the delay of each over time.
// The ACK analysis is not kept in the store's columns, so the stream's packets run again, in
// capture order, through a pipeline of the TCP analysis alone: one decode per packet, results in
// typed arrays no longer than the stream.

import { CapturedFrame } from '../capture/frame';
import { Pipeline } from '../pipeline';
import { PacketStore } from './packet-store';
import { CHUNK_BITS, CHUNK_MASK, Misc, WINDOW_UNKNOWN } from './columns';
import { MAX_GRAPH_PACKETS } from './stream-graph';
import { oneTwoFiveStepUs } from '../reports/statistics/intervals';
import { SegmentPairs, quantile } from '../reports/statistics/pairs';

/** About this many throughput intervals over the stream's time range (a 1-2-5 step at least this fine). */
const TARGET_INTERVALS = 100;

export interface Series {
  /** Seconds since the capture's first packet, and the value there. */
  t: Float64Array;
  v: Float64Array;
  /** Lowest and highest value; 0 and 0 when the series is empty. */
  min: number;
  max: number;
}

export interface StreamSeries {
  stream: number;
  direction: 0 | 1;
  /** The throughput interval, in microseconds (io,stat's unit), and bytes per second of each interval from `first`. */
  intervalUs: number;
  /** Index of the first interval (its start is firstInterval × intervalUs since the capture's first packet). */
  firstInterval: number;
  /** Bytes of each interval, and their rates (bytes / interval seconds). */
  intervalBytes: Float64Array;
  throughput: Series;
  /** ack_rtt in seconds at the acknowledged segment's time. */
  rtt: Series;
  /** tcp.window_size of the other direction, at each of its packets. */
  window: Series;
  /** tcp.analysis.bytes_in_flight of this direction, at each segment that has one. */
  bytesInFlight: Series;
  truncated: boolean;
}

function series(t: Float64Array, v: Float64Array, n: number): Series {
  let min = Infinity, max = -Infinity;
  for (let k = 0; k < n; k++) {
    if (v[k] < min) min = v[k];
    if (v[k] > max) max = v[k];
  }
  return { t: t.subarray(0, n), v: v.subarray(0, n), min: n > 0 ? min : 0, max: n > 0 ? max : 0 };
}

/** The smallest 1-2-5 step of microseconds (1 µs at least) that cuts `spanUs` into at most TARGET_INTERVALS. */
export function throughputInterval(spanUs: number): number {
  return oneTwoFiveStepUs(spanUs, TARGET_INTERVALS);
}

/** Microseconds since the capture's first packet, rounded as tshark's io,stat rounds nanoseconds. */
function relativeUs(store: PacketStore, i: number): number {
  const ix = store.index;
  const c0 = ix.chunks[0], c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
  return (c.tsSec[j] - c0.tsSec[0]) * 1e6 + Math.round((c.tsNsec[j] - c0.tsNsec[0]) / 1000);
}

function relativeSeconds(store: PacketStore, i: number): number {
  const ix = store.index;
  const c0 = ix.chunks[0], c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
  return (c.tsSec[j] - c0.tsSec[0]) + (c.tsNsec[j] - c0.tsNsec[0]) / 1e9;
}

export function streamSeries(store: PacketStore, stream: number, direction: 0 | 1): StreamSeries {
  const ix = store.index;
  const packets = store.streamPackets(stream);
  const n = Math.min(packets.length, MAX_GRAPH_PACKETS);
  const rttT = new Float64Array(n), rttV = new Float64Array(n);
  const winT = new Float64Array(n), winV = new Float64Array(n);
  const bifT = new Float64Array(n), bifV = new Float64Array(n);
  const segUs = new Float64Array(n), segLen = new Float64Array(n);
  let rttN = 0, winN = 0, bifN = 0, segN = 0;
  const pipeline = new Pipeline({ sink: null, analyzers: [] });
  const f = new CapturedFrame();
  const d = pipeline.d;
  for (let k = 0; k < n; k++) {
    const i = packets[k];
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    const dir = c.misc[j] & Misc.FromServer ? 1 : 0;
    if (!store.frameOf(i, f)) continue;
    // Frame numbers as in the capture, so acks_frame names the capture's frame.
    pipeline.framesRead = i;
    pipeline.handle(f);
    if (d.tcpOff < 0) continue;
    if (dir === direction) {
      segUs[segN] = relativeUs(store, i);
      segLen[segN++] = d.payloadLen;
      if (d.tcp.bytesInFlight !== 0) {
        bifT[bifN] = relativeSeconds(store, i);
        bifV[bifN++] = d.tcp.bytesInFlight;
      }
    } else {
      winT[winN] = relativeSeconds(store, i);
      const w = c.window[j];
      winV[winN++] = w !== WINDOW_UNKNOWN ? w : d.window;
      if (!Number.isNaN(d.tcp.ackRtt) && d.tcp.acksFrame > 0) {
        rttT[rttN] = relativeSeconds(store, d.tcp.acksFrame - 1);
        rttV[rttN++] = d.tcp.ackRtt;
      }
    }
  }
  // Throughput intervals over the stream's time range (either direction's packets).
  const firstUs = n > 0 ? relativeUs(store, packets[0]) : 0, lastUs = n > 0 ? relativeUs(store, packets[n - 1]) : 0;
  const intervalUs = throughputInterval(lastUs - firstUs);
  const firstInterval = Math.floor(firstUs / intervalUs);
  const count = Math.floor(lastUs / intervalUs) - firstInterval + 1;
  const bytes = new Float64Array(count);
  for (let k = 0; k < segN; k++) bytes[Math.floor(segUs[k] / intervalUs) - firstInterval] += segLen[k];
  const tpT = new Float64Array(count), tpV = new Float64Array(count);
  // Whole microseconds per second over whole microseconds per interval: exact for the 1-2-5 steps.
  for (let k = 0; k < count; k++) {
    tpT[k] = ((firstInterval + k) * intervalUs) / 1e6;
    tpV[k] = intervalUs <= 1e6 ? bytes[k] * (1e6 / intervalUs) : bytes[k] / (intervalUs / 1e6);
  }
  return {
    stream, direction, intervalUs, firstInterval, intervalBytes: bytes,
    throughput: series(tpT, tpV, count),
    rtt: series(rttT, rttV, rttN),
    window: series(winT, winV, winN),
    bytesInFlight: series(bifT, bifV, bifN),
    truncated: packets.length > n,
  };
}

/** One direction of a stream seen at two capture points: its one-way delays over time (-z pairs' series). */
export interface DelaySeries {
  /** "10.0.0.1:41234 → 10.0.0.2:443", as -z pairs names it. */
  direction: string;
  /** Interface id of the point the copies are seen at first. */
  upstream: number;
  /** Seconds since the capture's first packet at the upstream point, and the delay to the other point in ms. */
  delay: Series;
  /** Median delay (ms), as -z pairs reports it; NaN when nothing was paired. */
  medianMs: number;
  /** Times (seconds since the capture's first packet) of the segments lost between the points. */
  lostT: Float64Array;
}

/**
 * The one-way delay of each direction of a stream seen at two capture points: the stream's packets
 * (its first MAX_GRAPH_PACKETS) through -z pairs' SegmentPairs, which pairs each segment with its
 * copy at the other point. Empty when the stream was seen at one point only.
 */
export function streamDelays(store: PacketStore, stream: number): { directions: DelaySeries[]; points: number; truncated: boolean } {
  const packets = store.streamPackets(stream);
  const n = Math.min(packets.length, MAX_GRAPH_PACKETS);
  const pairs = new SegmentPairs();
  const pipeline = new Pipeline({ sink: null, analyzers: [] });
  const f = new CapturedFrame();
  for (let k = 0; k < n; k++) {
    const i = packets[k];
    if (!store.frameOf(i, f)) continue;
    pipeline.framesRead = i;
    pipeline.handle(f);
    pairs.add(pipeline.d);
  }
  const c0 = store.index.chunks[0];
  const firstNs = c0 === undefined ? 0 : c0.tsSec[0] * 1e9 + c0.tsNsec[0];
  const directions: DelaySeries[] = [];
  if (pairs.points.length === 2) {
    for (const r of pairs.results({ series: true }).directions) {
      const s = r.series!;
      if (s.t.length === 0) continue;
      const t = new Float64Array(s.t.length);
      for (let k = 0; k < t.length; k++) t[k] = (s.t[k] - firstNs) / 1e9;
      const lostT = new Float64Array(s.lostT.length);
      for (let k = 0; k < lostT.length; k++) lostT[k] = (s.lostT[k] - firstNs) / 1e9;
      directions.push({ direction: r.direction, upstream: r.upstream, delay: series(t, s.delayMs, t.length), medianMs: quantile(r.delaysMs, 0.5), lostT });
    }
  }
  return { directions, points: pairs.points.length, truncated: packets.length > n };
}
