// UDP (RFC 768) and the UDP-carried tunnels whose inner frames tcpwatch follows: VXLAN
// (RFC 7348, port 4789) and Geneve (RFC 8926, port 6081).

import { u16 } from './bytes';
import { Dissection, Malformed, Proto } from './dissection';
import { etherTypeNext } from './link';

export const UDP_SRC_PORT = 0;
export const UDP_DST_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_CHECKSUM = 6;
export const UDP_HEADER_LEN = 8;

export const VXLAN_PORT = 4789;
export const GENEVE_PORT = 6081;
const VXLAN_HEADER_LEN = 8;
const GENEVE_MIN_HEADER_LEN = 8;

export function decodeUdp(d: Dissection, off: number, end: number): Proto {
  const buf = d.buf;
  if (end - off < UDP_HEADER_LEN) {
    d.markMalformed(Malformed.Transport, Proto.Udp);
    return Proto.None;
  }
  if (d.udpOff < 0) d.udpOff = off;
  d.pushLayer(Proto.Udp, off);
  const src = u16(buf, off + UDP_SRC_PORT);
  const dst = u16(buf, off + UDP_DST_PORT);
  if (d.tcpOff < 0) {
    d.srcPort = src;
    d.dstPort = dst;
  }
  const len = u16(buf, off + UDP_LENGTH);
  // Length 0 is legal for jumbograms (RFC 2675 §4); otherwise it must cover the header.
  const udpLen = len === 0 ? d.netPayloadLen : len;
  if (udpLen < UDP_HEADER_LEN) {
    d.markMalformed(Malformed.Transport, Proto.Udp);
    return Proto.None;
  }
  const payloadOff = off + UDP_HEADER_LEN;
  d.payloadOff = payloadOff;
  d.payloadLen = udpLen - UDP_HEADER_LEN;
  const capEnd = Math.min(end, off + udpLen);
  d.payloadCapLen = capEnd > payloadOff ? capEnd - payloadOff : 0;
  d.nextOff = payloadOff;
  if (dst === VXLAN_PORT && d.payloadCapLen >= VXLAN_HEADER_LEN) {
    d.pushLayer(Proto.Vxlan, payloadOff);
    d.nextOff = payloadOff + VXLAN_HEADER_LEN;
    return Proto.Eth;
  }
  if (dst === GENEVE_PORT && d.payloadCapLen >= GENEVE_MIN_HEADER_LEN) {
    const optLen = (buf[payloadOff] & 0x3f) * 4;
    const hdr = GENEVE_MIN_HEADER_LEN + optLen;
    if (hdr > d.payloadCapLen) {
      d.markMalformed(Malformed.Application, Proto.Geneve);
      return Proto.None;
    }
    d.pushLayer(Proto.Geneve, payloadOff);
    d.nextOff = payloadOff + hdr;
    return etherTypeNext(u16(buf, payloadOff + 2));
  }
  return d.payloadLen > 0 ? Proto.Data : Proto.None;
}
