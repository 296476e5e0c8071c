// Echo request/reply matching for ICMP and ICMPv6, as Wireshark's ICMP dissectors do it in one
// pass: a request is remembered by its addresses, identifier and sequence number; the reply that
// comes back (addresses swapped) names it (`(request in N)`, icmp.resp_to) and the time between
// (icmp.resptime). A request never knows its later reply, as in tshark's single pass.
//
// An analysis stage, since it is state across frames; bounded: the oldest requests are forgotten
// beyond MAX_PENDING.

import { Dissection, Proto, Slot } from '../../decode/dissection';
import type { Analyzer } from '../../pipeline';
import { registerStage } from '../../hooks';

/** What the stage found for one frame: valid when `number` is the frame's. */
export class EchoMatch {
  number = 0;
  /** The request this reply answers (frame number), 0 = none. */
  requestIn = 0;
  /** Milliseconds from the request to this reply. */
  respTimeMs = 0;
}

export const echoMatch = new Slot<EchoMatch>(() => new EchoMatch());

/** Requests remembered at once; the oldest is forgotten beyond this (a ping flood without replies). */
const MAX_PENDING = 65536;

const ICMP_ECHO_REQUEST = 8, ICMP_ECHO_REPLY = 0; // RFC 792
const ICMPV6_ECHO_REQUEST = 128, ICMPV6_ECHO_REPLY = 129; // RFC 4443 §4
const ECHO_HEADER_LEN = 8;
const IP4_SRC = 12, IP6_SRC = 8;

interface Pending {
  number: number;
  tsSec: number;
  tsNsec: number;
}

class EchoMatcher implements Analyzer {
  private readonly pending = new Map<string, Pending>();

  analyze(d: Dissection): void {
    const off = d.icmpOff;
    if (off < 0 || d.netOff < 0 || d.inIcmpError || d.frameEnd - off < ECHO_HEADER_LEN) return;
    const v6 = d.netVersion === 6;
    if (v6 ? !d.hasLayer(Proto.Icmpv6) : !d.hasLayer(Proto.Icmp)) return;
    const type = d.buf[off];
    const request = v6 ? type === ICMPV6_ECHO_REQUEST : type === ICMP_ECHO_REQUEST;
    const reply = v6 ? type === ICMPV6_ECHO_REPLY : type === ICMP_ECHO_REPLY;
    if (!request && !reply) return;
    const m = echoMatch.of(d);
    m.number = d.number;
    m.requestIn = 0;
    m.respTimeMs = 0;
    const addrLen = v6 ? 16 : 4;
    const src = d.buf.toString('hex', d.netOff + (v6 ? IP6_SRC : IP4_SRC), d.netOff + (v6 ? IP6_SRC : IP4_SRC) + addrLen);
    const dst = d.buf.toString('hex', d.netOff + (v6 ? IP6_SRC : IP4_SRC) + addrLen, d.netOff + (v6 ? IP6_SRC : IP4_SRC) + 2 * addrLen);
    const idSeq = d.buf.readUInt32BE(off + 4);
    if (request) {
      const key = `${v6 ? 6 : 4}|${src}|${dst}|${idSeq}`;
      this.pending.delete(key);
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
      this.pending.set(key, { number: d.number, tsSec: d.tsSec, tsNsec: d.tsNsec });
      return;
    }
    const req = this.pending.get(`${v6 ? 6 : 4}|${dst}|${src}|${idSeq}`);
    if (req === undefined || req.number >= d.number) return;
    m.requestIn = req.number;
    m.respTimeMs = ((d.tsSec - req.tsSec) * 1e9 + (d.tsNsec - req.tsNsec)) / 1e6;
  }
}

registerStage({ name: 'icmp-echo', after: [], make: () => new EchoMatcher() });
