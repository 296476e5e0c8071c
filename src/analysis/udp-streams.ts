// UDP conversations as Wireshark numbers them (udp.stream): each pair of address and port in
// either direction is one conversation, numbered from 0 in the order first seen, with the time
// since its first frame and since its previous one (udp.time_relative, udp.time_delta). An
// analysis stage, since the number depends on the frames before. The table is bounded: past
// MAX_UDP_CONVERSATIONS the one first seen is forgotten (a later frame of it gets a new number).

import { Dissection, Proto } from '../decode/dissection';
import { udpStreamInfos } from './udp-stream-info';
import { IP4_SRC, IP6_SRC } from '../decode/ip';
import { registerStage } from '../hooks';

const MAX_UDP_CONVERSATIONS = 1 << 20;

class Conversation {
  constructor(readonly index: number, readonly firstSec: number, readonly firstNsec: number, public lastSec: number, public lastNsec: number) {}
}

/**
 * The IP header that carries the UDP header: the innermost one before it (a tunnel's inner header;
 * the quoted header of an ICMP error), as Wireshark's addresses for the conversation are. -1 if none.
 */
function carryingIp(d: Dissection): number {
  let k = d.stackLen - 1;
  while (k >= 0 && d.stack[k] !== Proto.Udp) k--;
  for (k--; k >= 0; k--) if (d.stack[k] === Proto.IPv4 || d.stack[k] === Proto.IPv6) return k;
  return -1;
}

/**
 * The conversation's key: both endpoints (address and port), the lower first, so that either
 * direction finds it. IPv4 endpoints are numbers joined in one string; IPv6 ones in hex.
 */
function conversationKey(d: Dissection, ipLayer: number): string {
  const b = d.buf;
  const ip = d.stackOff[ipLayer];
  const sp = b.readUInt16BE(d.udpOff), dp = b.readUInt16BE(d.udpOff + 2);
  if (d.stack[ipLayer] === Proto.IPv4) {
    const sa = b.readUInt32BE(ip + IP4_SRC), da = b.readUInt32BE(ip + IP4_SRC + 4);
    // An endpoint as one number: address * 65536 + port stays below 2^48, exact in a double.
    const s = sa * 65536 + sp, t = da * 65536 + dp;
    return s < t ? `${s}-${t}` : `${t}-${s}`;
  }
  const sa = `${b.toString('hex', ip + IP6_SRC, ip + IP6_SRC + 16)}:${sp}`, da = `${b.toString('hex', ip + IP6_SRC + 16, ip + IP6_SRC + 32)}:${dp}`;
  return sa < da ? `${sa}-${da}` : `${da}-${sa}`;
}

export class UdpStreams {
  private readonly convs = new Map<string, Conversation>();
  private next = 0;

  analyze(d: Dissection): void {
    if (d.udpOff < 0) return;
    const ip = carryingIp(d);
    if (ip < 0) return;
    const key = conversationKey(d, ip);
    let c = this.convs.get(key);
    const u = udpStreamInfos.of(d);
    u.frame = d.number;
    if (c === undefined) {
      // Past the bound, the conversation seen first is forgotten (the Map keeps insertion order).
      if (this.convs.size >= MAX_UDP_CONVERSATIONS) {
        for (const k of this.convs.keys()) {
          this.convs.delete(k);
          break;
        }
      }
      c = new Conversation(this.next++, d.tsSec, d.tsNsec, d.tsSec, d.tsNsec);
      this.convs.set(key, c);
    }
    u.stream = c.index;
    // A datagram an ICMP error quotes is of its conversation, but does not move its clock.
    if (d.inIcmpError) return;
    u.sinceFirst = ((d.tsSec - c.firstSec) * 1e9 + (d.tsNsec - c.firstNsec)) / 1e9;
    u.sincePrevious = ((d.tsSec - c.lastSec) * 1e9 + (d.tsNsec - c.lastNsec)) / 1e9;
    c.lastSec = d.tsSec;
    c.lastNsec = d.tsNsec;
  }
}

registerStage({ name: 'udp-stream', after: [], make: () => new UdpStreams() });
