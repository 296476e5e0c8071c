// -z pairs: the same TCP segments seen at two capture points (two interfaces of one capture, such as
// the client's host and the server's host: -i ssh://client/eth0 -i ssh://server/eth0). Each segment
// is paired with its copy at the other point by what identifies one transmission in its headers —
// addresses, IPv4 identification, ports, sequence and acknowledgment numbers, flags, payload length
// and TCP checksum — not by time: a retransmission is a new transmission (new IP id, often new
// timestamps), a duplicate made on the path is the same one twice. For each direction of each
// connection: which point is upstream (where the copies are seen first), the segments paired, those
// lost between the points (sent at the upstream point, never seen at the other), how many of those
// were sent again, and the one-way delay between the points (meaningful as far as the two hosts'
// clocks agree, exact when both points are on one host). And where each retransmission was caused:
// the transmission it repeats was lost between the points, or it had arrived (the retransmission
// was spurious as far as the path between the points goes), or it was never seen upstream.

import { Dissection } from '../../decode/dissection';
import { IP4_ID, IP4_SRC, IP4_DST } from '../../decode/ip';
import { TCP_CHECKSUM, TH_FIN, TH_RST, TH_SYN } from '../../decode/tcp';
import { gtSeq, ltSeq } from '../../analysis/streams';
import { ipv4At, ipv6At } from '../../fields/format';
import { oneTwoFiveStepUs } from './intervals';

/** IPv6 addresses within the header (RFC 8200 §3). */
const IP6_SRC = 8;
const IP6_DST = 24;
/** Transmissions remembered; past it the oldest directions' findings stay, new segments are not paired. */
export const MAX_PAIRED_SEGMENTS = 2_000_000;
/** At most this many intervals of delay and loss over time: a screenful of lines per direction. */
export const OVER_TIME_INTERVALS = 20;

/**
 * What identifies one transmission of a TCP segment within its direction, the same at every point
 * it passes: IPv4 identification, sequence and acknowledgment numbers, flags, payload length and
 * TCP checksum (the key's field order is the split in results()).
 */
export function transmissionKey(d: Dissection): string {
  const ipId = d.netVersion === 4 ? d.buf.readUInt16BE(d.netOff + IP4_ID) : -1;
  return `${ipId}/${d.seqRaw}/${d.ackRaw}/${d.tcpFlags}/${d.payloadLen}/${d.buf.readUInt16BE(d.tcpOff + TCP_CHECKSUM)}`;
}

interface Seen {
  /** Timestamp (ns since the epoch, as a double: ~0.2 µs precision) of the first copy at each point. */
  t: [number, number];
  n: [number, number];
  /** frame.number of the first copy at each point, 0 where it was not seen. */
  frame: [number, number];
  seqRaw: number;
  len: number;
  flags: number;
}

// ---- where a retransmission was caused ----

/** One transmission as the upstream point saw it, in that point's order: what findRetransmissions reads. */
export interface Transmission {
  /** Sequence number (raw or relative: only differences count), payload length and TCP flags. */
  seq: number;
  len: number;
  flags: number;
  /** Whether a copy of it was seen at the other (downstream) point. */
  arrived: boolean;
}

export const enum RetransmissionCause {
  /** A transmission it repeats was sent at the upstream point and never seen at the other. */
  LostBetween = 1,
  /** Everything it repeats had arrived at the downstream point: needless on the path between the points. */
  Spurious = 2,
  /** Its bytes were never seen upstream before it (the upstream capture missed them, or they never got there). */
  NotSeenUpstream = 3,
}

export interface RetransmissionFinding {
  /** Index of the retransmission among the transmissions given. */
  index: number;
  cause: RetransmissionCause;
  /** The transmissions it repeats (the latest one of each stretch of its bytes), in sequence order. */
  repeats: number[];
}

/** Stretches of one retransmission followed to the transmissions they repeat: a resent burst is a few segments. */
const MAX_REPEATS_FOLLOWED = 64;
/** How far back a retransmission cut differently from what it repeats looks for the transmission holding its bytes. */
const REPEAT_SCAN = 1024;

function seqSpan(t: Transmission): number {
  return t.len + (t.flags & TH_SYN ? 1 : 0) + (t.flags & TH_FIN ? 1 : 0);
}

/**
 * The retransmissions among one direction's transmissions in the upstream point's order, by tshark's
 * rule of a segment that does not advance the sequence number (packet-tcp.c: data, SYN or FIN
 * starting before the highest sequence number sent so far, keep-alives aside), each with the
 * transmissions it repeats (for each stretch of its bytes, the latest one that carried them) and so
 * where it was caused: one of those was lost between the points, or all of them had arrived.
 */
export function findRetransmissions(tx: readonly Transmission[]): RetransmissionFinding[] {
  const out: RetransmissionFinding[] = [];
  // Latest transmission starting at each sequence number.
  const latestAt = new Map<number, number>();
  let sent = false, maxNxt = 0;
  for (let i = 0; i < tx.length; i++) {
    const t = tx[i];
    const span = seqSpan(t);
    if (span === 0 || (t.flags & TH_RST) !== 0) continue;
    const seq = t.seq >>> 0, nxt = (seq + span) >>> 0;
    const keepAlive = t.len <= 1 && (t.flags & (TH_SYN | TH_FIN)) === 0 && seq === ((maxNxt - 1) >>> 0);
    // More than one byte right after a possible zero window probe adds new data (as tshark has it).
    const afterProbe = t.len > 1 && seq === ((maxNxt - 1) >>> 0);
    if (sent && !keepAlive && !afterProbe && ltSeq(seq, maxNxt)) {
      const repeats: number[] = [];
      let lost = false;
      let p = seq;
      for (let step = 0; step < MAX_REPEATS_FOLLOWED && ltSeq(p, nxt) && ltSeq(p, maxNxt); step++) {
        let j = latestAt.get(p) ?? -1;
        if (j < 0) {
          // Cut differently from what it repeats: the latest transmission whose bytes hold p.
          for (let k = i - 1; k >= 0 && k >= i - REPEAT_SCAN; k--) {
            const o = tx[k], os = o.seq >>> 0;
            if (seqSpan(o) > 0 && !ltSeq(p, os) && ltSeq(p, (os + seqSpan(o)) >>> 0)) { j = k; break; }
          }
        }
        if (j < 0) break;
        repeats.push(j);
        if (!tx[j].arrived) lost = true;
        p = ((tx[j].seq >>> 0) + seqSpan(tx[j])) >>> 0;
      }
      out.push({ index: i, cause: lost ? RetransmissionCause.LostBetween : repeats.length > 0 ? RetransmissionCause.Spurious : RetransmissionCause.NotSeenUpstream, repeats });
    }
    if (!keepAlive) latestAt.set(seq, i);
    if (!sent || gtSeq(nxt, maxNxt)) maxNxt = nxt;
    sent = true;
  }
  return out;
}

/** A retransmission of -z pairs: its frame at each point (0 where not seen) and what it repeats. */
export interface PairsRetransmission {
  frames: [number, number];
  cause: RetransmissionCause;
  /** frame.number at the upstream point of each transmission it repeats, and whether each arrived downstream. */
  repeats: { frame: number; arrived: boolean }[];
}

export interface DirectionPairs {
  /** "10.0.0.1:41234 → 10.0.0.2:443". */
  direction: string;
  /** Interface id of the point where copies are seen first. */
  upstream: number;
  atUpstream: number;
  atDownstream: number;
  paired: number;
  /** Sent at the upstream point, never seen at the other. */
  lost: number;
  /** Of those lost, how many were sent again (the same sequence number and length, a new transmission). */
  lostSentAgain: number;
  /** Seen downstream only: the upstream capture missed them (its drops), or the path made them. */
  onlyDownstream: number;
  /** Copies beyond the first at the downstream point: duplicated on the path. */
  duplicated: number;
  /** One-way delays of the paired segments in ms, sorted. */
  delaysMs: number[];
  /** The same over time: by the time each segment passed the upstream point, in intervals of PairsResults.intervalUs. */
  overTime: PairsInterval[];
  /** Retransmissions as the upstream point saw them, in its order, with where each was caused. */
  retransmissions: PairsRetransmission[];
  /** With results({ series: true }): each paired segment's time at the upstream point (ns since the epoch) and delay in ms, in upstream order, and the times of those lost. */
  series?: { t: Float64Array; delayMs: Float64Array; lostT: Float64Array };
}

/** One interval of a direction's segments over time (only intervals where the upstream point saw some). */
export interface PairsInterval {
  /** Microseconds since the first segment at either point. */
  startUs: number;
  paired: number;
  lost: number;
  /** One-way delays of the interval's paired segments in ms, sorted. */
  delaysMs: number[];
}

export interface PairsResults {
  directions: DirectionPairs[];
  /** Width of the overTime intervals: a 1-2-5 step giving at most OVER_TIME_INTERVALS over the capture. */
  intervalUs: number;
}

class Direction {
  readonly seen = new Map<string, Seen>();
  /** Transmissions of each (seq, length) at each point: a lost one "sent again" has more than one. */
  readonly sends: [Map<string, number>, Map<string, number>] = [new Map(), new Map()];
  /** Each point's transmissions in the order their first copy reached it. */
  readonly order: [Seen[], Seen[]] = [[], []];
  constructor(readonly name: string) {}
}

export class SegmentPairs {
  private readonly directions = new Map<string, Direction>();
  /** The two interface ids being compared: the first two that carry TCP. */
  readonly points: number[] = [];
  private size = 0;
  /** Segments not paired because MAX_PAIRED_SEGMENTS was reached. */
  notPaired = 0;

  add(d: Dissection): void {
    if (d.tcpOff < 0 || d.netOff < 0 || (d.netVersion !== 4 && d.netVersion !== 6) || d.inIcmpError) return;
    let point = this.points.indexOf(d.ifIndex);
    if (point < 0) {
      if (this.points.length >= 2) return;
      this.points.push(d.ifIndex);
      point = this.points.length - 1;
    }
    const b = d.buf, n = d.netOff;
    const v4 = d.netVersion === 4;
    const src = v4 ? ipv4At(b, n + IP4_SRC) : `[${ipv6At(b, n + IP6_SRC)}]`;
    const dst = v4 ? ipv4At(b, n + IP4_DST) : `[${ipv6At(b, n + IP6_DST)}]`;
    const dirKey = `${src}:${d.srcPort} → ${dst}:${d.dstPort}`;
    let dir = this.directions.get(dirKey);
    if (dir === undefined) {
      dir = new Direction(dirKey);
      this.directions.set(dirKey, dir);
    }
    const key = transmissionKey(d);
    const ts = d.tsSec * 1e9 + d.tsNsec;
    let s = dir.seen.get(key);
    if (s === undefined) {
      if (this.size >= MAX_PAIRED_SEGMENTS) {
        this.notPaired++;
        return;
      }
      s = { t: [NaN, NaN], n: [0, 0], frame: [0, 0], seqRaw: d.seqRaw, len: d.payloadLen, flags: d.tcpFlags };
      dir.seen.set(key, s);
      this.size++;
    }
    if (s.n[point] === 0) {
      s.t[point] = ts;
      s.frame[point] = d.number;
      dir.order[point].push(s);
    }
    s.n[point]++;
    if (d.payloadLen > 0 || (d.tcpFlags & 0x3) !== 0) {
      const sk = `${d.seqRaw}/${d.payloadLen}`;
      const m = dir.sends[point];
      m.set(sk, (m.get(sk) ?? 0) + 1);
    }
  }

  /** Every direction seen at both points, or at one of them; with `series`, each direction's delays segment by segment (for a graph). */
  results(opts: { series?: boolean } = {}): PairsResults {
    const out: DirectionPairs[] = [];
    // The capture's span at both points, for the intervals over time.
    let first = Infinity, last = -Infinity;
    for (const dir of this.directions.values()) {
      for (const s of dir.seen.values()) {
        for (const t of s.t) {
          if (t < first) first = t;
          if (t > last) last = t;
        }
      }
    }
    const intervalUs = oneTwoFiveStepUs(first <= last ? (last - first) / 1e3 : 0, OVER_TIME_INTERVALS);
    for (const dir of this.directions.values()) {
      // Upstream: the point that saw the earlier copy of most paired segments.
      let firstAt0 = 0, firstAt1 = 0;
      let at0 = 0, at1 = 0;
      for (const s of dir.seen.values()) {
        if (s.n[0] > 0) at0++;
        if (s.n[1] > 0) at1++;
        if (s.n[0] > 0 && s.n[1] > 0) {
          if (s.t[0] <= s.t[1]) firstAt0++;
          else firstAt1++;
        }
      }
      const up = firstAt0 > firstAt1 || (firstAt0 === firstAt1 && at0 >= at1) ? 0 : 1;
      const down = 1 - up;
      const r: DirectionPairs = {
        direction: dir.name, upstream: this.points[up] ?? up, atUpstream: up === 0 ? at0 : at1, atDownstream: up === 0 ? at1 : at0,
        paired: 0, lost: 0, lostSentAgain: 0, onlyDownstream: 0, duplicated: 0, delaysMs: [], overTime: [], retransmissions: [],
      };
      const byInterval = new Map<number, PairsInterval>();
      const intervalOf = (t: number): PairsInterval => {
        const k = Math.floor((t - first) / 1e3 / intervalUs);
        let iv = byInterval.get(k);
        if (iv === undefined) {
          iv = { startUs: k * intervalUs, paired: 0, lost: 0, delaysMs: [] };
          byInterval.set(k, iv);
        }
        return iv;
      };
      for (const [key, s] of dir.seen) {
        if (s.n[up] > 0 && s.n[down] > 0) {
          r.paired++;
          const delay = (s.t[down] - s.t[up]) / 1e6;
          r.delaysMs.push(delay);
          const iv = intervalOf(s.t[up]);
          iv.paired++;
          iv.delaysMs.push(delay);
          if (s.n[down] > s.n[up]) r.duplicated += s.n[down] - s.n[up];
        } else if (s.n[up] > 0) {
          r.lost++;
          intervalOf(s.t[up]).lost++;
          const [, seq, , , len] = key.split('/');
          if ((dir.sends[up].get(`${seq}/${len}`) ?? 0) > 1) r.lostSentAgain++;
        } else {
          r.onlyDownstream++;
        }
      }
      const upOrder = dir.order[up];
      const tx: Transmission[] = upOrder.map((s) => ({ seq: s.seqRaw, len: s.len, flags: s.flags, arrived: s.n[down] > 0 }));
      for (const f of findRetransmissions(tx)) {
        const s = upOrder[f.index];
        const frames: [number, number] = [0, 0];
        frames[up] = s.frame[up];
        frames[down] = s.frame[down];
        r.retransmissions.push({ frames, cause: f.cause, repeats: f.repeats.map((j) => ({ frame: upOrder[j].frame[up], arrived: tx[j].arrived })) });
      }
      if (opts.series) {
        const t = new Float64Array(r.paired), delayMs = new Float64Array(r.paired), lostT = new Float64Array(r.lost);
        let np = 0, nl = 0;
        for (const s of upOrder) {
          if (s.n[down] > 0 && np < t.length) { t[np] = s.t[up]; delayMs[np++] = (s.t[down] - s.t[up]) / 1e6; }
          else if (s.n[down] === 0 && nl < lostT.length) lostT[nl++] = s.t[up];
        }
        r.series = { t: t.subarray(0, np), delayMs: delayMs.subarray(0, np), lostT: lostT.subarray(0, nl) };
      }
      r.delaysMs.sort((a, b) => a - b);
      r.overTime = [...byInterval.values()].sort((a, b) => a.startUs - b.startUs);
      for (const iv of r.overTime) iv.delaysMs.sort((a, b) => a - b);
      out.push(r);
    }
    return { directions: out, intervalUs };
  }
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
