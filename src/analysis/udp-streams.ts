// UDP conversations as Wireshark numbers them (udp.stream): each pair of address and port in
// either direction is one conversation, numbered from 0 in the order first seen, with the time
// since its first frame and since its previous one (udp.time_relative, udp.time_delta). An
// analysis stage, since the number depends on the frames before. The table is bounded: past
// MAX_UDP_CONVERSATIONS the least recently seen is forgotten (a later frame of it gets a new number).

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

function endpoint(d: Dissection, ipLayer: number, source: boolean): string {
  const b = d.buf;
  const ip = d.stackOff[ipLayer];
  const port = b.readUInt16BE(d.udpOff + (source ? 0 : 2));
  if (d.stack[ipLayer] === Proto.IPv4) return `${b.readUInt32BE(ip + IP4_SRC + (source ? 0 : 4))}:${port}`;
  const a = ip + IP6_SRC + (source ? 0 : 16);
  return `${b.toString('hex', a, a + 16)}:${port}`;
}

export class UdpStreams {
  private readonly convs = new Map<string, Conversation>();
  private next = 0;

  analyze(d: Dissection): void {
    if (d.udpOff < 0) return;
    const ip = carryingIp(d);
    if (ip < 0) return;
    const a = endpoint(d, ip, true), b = endpoint(d, ip, false);
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    let c = this.convs.get(key);
    const u = udpStreamInfos.of(d);
    u.frame = d.number;
    if (c === undefined) {
      if (this.convs.size >= MAX_UDP_CONVERSATIONS) {
        for (const k of this.convs.keys()) {
          this.convs.delete(k);
          break;
        }
      }
      c = new Conversation(this.next++, d.tsSec, d.tsNsec, d.tsSec, d.tsNsec);
    } else {
      this.convs.delete(key); // re-inserted below: the Map's order is the order last seen
    }
    this.convs.set(key, c);
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
