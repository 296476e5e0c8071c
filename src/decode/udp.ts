// UDP (RFC 768). What a datagram carries is found in the udp.port table of the protocol registry
// (tunnels such as VXLAN and Geneve are src/protocols/vxlan and src/protocols/geneve).

import { u16 } from './bytes';
import { Dissection, Malformed, Proto } from './dissection';
import { udpHeuristicProtocol, udpPortProtocol } from './protocol-registry';

export const UDP_SRC_PORT = 0;
export const UDP_DST_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_CHECKSUM = 6;
export const UDP_HEADER_LEN = 8;


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
  d.nextEnd = capEnd > payloadOff ? capEnd : payloadOff;
  if (d.payloadLen === 0) return Proto.None;
  return udpPortProtocol(src, dst) || udpHeuristicProtocol(d, payloadOff, d.nextEnd) || Proto.Data;
}
