// Request/response matching as tshark does it in one pass (packet-dns.c): transactions are kept
// per conversation (both addresses and ports) and transaction ID. A query opens a transaction, or
// is a retransmission when the open one has no response yet and is less than 5 seconds old
// (Wireshark's dns.retransmission_timer). A response answers the transaction (dns.response_to,
// dns.time), or is a retransmitted response when it was already answered, or is unsolicited when
// there is none. A query never names its later response in one pass (dns.response_in needs -2).
//
// The state is bounded: past MAX_TRANSACTIONS the oldest transaction is forgotten.

import { Dissection, Slot } from '../../decode/dissection';
import type { Analyzer } from '../../pipeline';
import { registerStage } from '../../hooks';
import { udpStreamOf } from '../../analysis/udp-stream-info';
import { dnsLayerOf } from './register';
import { DNS_FLAGS, DNS_HEADER_LEN, DNS_ID, F_RESPONSE, RR_TYPE, T_AXFR, T_IXFR } from './wire';
import { MAX_MESSAGES, Section } from './layer';

/** Transactions remembered at once, over all conversations. */
export const MAX_TRANSACTIONS = 65536;
/** Wireshark's dns.retransmission_timer default: a query repeated sooner than this is a retransmission. */
const RETRANSMISSION_SECONDS = 5;

interface Transaction {
  requestFrame: number;
  responseFrame: number;
  requestSec: number;
  requestNsec: number;
  /** Zone transfers (AXFR, IXFR) answer with many messages: none of them is a retransmission. */
  multipleResponses: boolean;
}

/** What matching found for each message of the frame (0 = nothing). */
export class DnsMatch {
  frame = 0;
  readonly responseTo = new Int32Array(MAX_MESSAGES);
  readonly time = new Float64Array(MAX_MESSAGES);
  readonly retransmitRequestIn = new Int32Array(MAX_MESSAGES);
  readonly retransmitResponseIn = new Int32Array(MAX_MESSAGES);
  readonly unsolicited = new Uint8Array(MAX_MESSAGES);
}

const matchSlot = new Slot<DnsMatch>(() => new DnsMatch());

/** The matching results for the frame in `d`, or null when matching did not look at this frame. */
export function dnsMatchOf(d: Dissection): DnsMatch | null {
  const m = matchSlot.peek(d);
  return m !== undefined && m.frame === d.number ? m : null;
}

/**
 * The conversation as a number, the same in both directions: its tcp.stream or udp.stream (the
 * UDP conversation stage numbers every datagram first), times two for the transport. -1 when the
 * frame has neither.
 */
function conversationIndex(d: Dissection): number {
  if (d.tcpOff >= 0) return d.tcp.stream >= 0 ? d.tcp.stream * 2 + 1 : -1;
  const u = udpStreamOf(d);
  return u === null ? -1 : u.stream * 2;
}

class DnsMatcher implements Analyzer {
  /** By conversation index × 65536 + DNS ID (below 2^53: exact). */
  private readonly transactions = new Map<number, Transaction>();

  analyze(d: Dissection): void {
    const l = dnsLayerOf(d);
    if (l === null || d.netOff < 0) return;
    const out = matchSlot.of(d);
    out.frame = d.number;
    // The packet an ICMP error quotes takes no part in transactions; a response there is
    // unsolicited, as in Wireshark.
    const quoted = d.inIcmpError;
    const conv = quoted ? -1 : conversationIndex(d);
    for (let m = 0; m < l.msgCount; m++) {
      out.responseTo[m] = 0;
      out.time[m] = 0;
      out.retransmitRequestIn[m] = 0;
      out.retransmitResponseIn[m] = 0;
      out.unsolicited[m] = 0;
      const off = l.msgOff[m];
      if (l.msgEnd[m] - off < DNS_HEADER_LEN) continue;
      const isResponse = (l.buf.readUInt16BE(off + DNS_FLAGS) & F_RESPONSE) !== 0;
      if (quoted || conv < 0) {
        out.unsolicited[m] = isResponse ? 1 : 0;
        continue;
      }
      const id = l.buf.readUInt16BE(off + DNS_ID);
      const key = conv * 65536 + id;
      const t = this.transactions.get(key);
      if (!isResponse) {
        if (t !== undefined && t.responseFrame === 0 && secondsSince(d, t) < RETRANSMISSION_SECONDS) {
          out.retransmitRequestIn[m] = t.requestFrame;
          continue;
        }
        this.remember(key, {
          requestFrame: d.number, responseFrame: 0, requestSec: d.tsSec, requestNsec: d.tsNsec,
          multipleResponses: asksZoneTransfer(d, l, m),
        });
        continue;
      }
      if (t === undefined) {
        out.unsolicited[m] = 1;
        continue;
      }
      if (t.responseFrame === 0) t.responseFrame = d.number;
      else if (!t.multipleResponses) {
        out.retransmitResponseIn[m] = t.responseFrame;
        continue;
      }
      out.responseTo[m] = t.requestFrame;
      out.time[m] = secondsSince(d, t);
    }
  }

  private remember(key: number, t: Transaction): void {
    this.transactions.delete(key);
    if (this.transactions.size >= MAX_TRANSACTIONS) {
      const oldest = this.transactions.keys().next().value;
      if (oldest !== undefined) this.transactions.delete(oldest);
    }
    this.transactions.set(key, t);
  }
}

function secondsSince(d: Dissection, t: Transaction): number {
  return d.tsSec - t.requestSec + (d.tsNsec - t.requestNsec) / 1e9;
}

function asksZoneTransfer(d: Dissection, l: ReturnType<typeof dnsLayerOf> & object, m: number): boolean {
  const first = l.firstRecord[m];
  for (let r = first; r < first + l.recordsIn[m]; r++) {
    if (l.recSection[r] !== Section.Question) continue;
    const type = l.buf.readUInt16BE(l.recNameEnd[r] + RR_TYPE);
    if (type === T_AXFR || type === T_IXFR) return true;
  }
  return false;
}

// After the UDP conversation stage, whose udp.stream keys the transactions.
registerStage({ name: 'dns', after: ['udp-stream', 'tcp-pdu'], make: () => new DnsMatcher() });
