// TCP conversation tracking: tcp.stream numbers in order of first packet, and relative sequence
// and acknowledgement numbers counted from each direction's first sequence number.

import { Dissection } from '../decode/dissection';
import { TH_SYN, TH_ACK, TH_FIN } from '../decode/tcp';

interface Direction {
  baseSeq: number;
  seen: boolean;
}

interface Conversation {
  index: number;
  dirs: [Direction, Direction];
  /** Address+port key of the side that sent the first packet, to tell the two directions apart. */
  firstKey: string;
}

export class TcpStreamTable {
  private readonly byKey = new Map<string, Conversation>();
  count = 0;

  /** Fill d.tcp for a decoded TCP segment. */
  analyze(d: Dissection): void {
    // A TCP header quoted inside an ICMP error is not a segment of the connection.
    if (d.tcpOff < 0 || d.inIcmpError) return;
    const src = endpointKey(d, true), dst = endpointKey(d, false);
    const key = src < dst ? src + '|' + dst : dst + '|' + src;
    let conv = this.byKey.get(key);
    if (conv === undefined) {
      conv = { index: this.count++, dirs: [{ baseSeq: 0, seen: false }, { baseSeq: 0, seen: false }], firstKey: src };
      this.byKey.set(key, conv);
    }
    const fwd = conv.firstKey === src ? 0 : 1;
    const me = conv.dirs[fwd], peer = conv.dirs[1 - fwd];
    if (!me.seen || (d.tcpFlags & TH_SYN)) {
      me.baseSeq = d.seqRaw;
      me.seen = true;
    }
    const t = d.tcp;
    t.stream = conv.index;
    t.direction = fwd;
    t.relSeq = (d.seqRaw - me.baseSeq + 4294967296) % 4294967296;
    let next = t.relSeq + d.payloadLen;
    if (d.tcpFlags & TH_SYN) next++;
    if (d.tcpFlags & TH_FIN) next++;
    t.nxtSeq = next;
    t.hasAck = (d.tcpFlags & TH_ACK) !== 0;
    if (t.hasAck && peer.seen) {
      t.relAck = (d.ackRaw - peer.baseSeq + 4294967296) % 4294967296;
      t.ackBase = peer.baseSeq;
    } else {
      t.relAck = d.ackRaw;
    }
  }
}

function endpointKey(d: Dissection, source: boolean): string {
  const off = d.netOff;
  const addrOff = d.netVersion === 4 ? (source ? 12 : 16) : (source ? 8 : 24);
  const len = d.netVersion === 4 ? 4 : 16;
  return d.buf.toString('latin1', off + addrOff, off + addrOff + len) + ':' + (source ? d.srcPort : d.dstPort);
}
