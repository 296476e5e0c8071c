// ICMP (RFC 792) and ICMPv6 (RFC 4443): type and code. Error messages quote the offending IP
// header; tcpwatch does not decode the quoted packet as a second transport layer.

import { Dissection, Malformed, Proto } from './dissection';

export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CHECKSUM = 2;
export const ICMP_HEADER_LEN = 4;

export function decodeIcmp(d: Dissection, off: number, end: number, proto: Proto): Proto {
  if (end - off < ICMP_HEADER_LEN) {
    d.markMalformed(Malformed.Transport, proto);
    return Proto.None;
  }
  if (d.icmpOff < 0) d.icmpOff = off;
  d.pushLayer(proto, off);
  return Proto.None;
}
