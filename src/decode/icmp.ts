// ICMP (RFC 792) and ICMPv6 (RFC 4443): type and code. Error messages quote the offending packet
// (its IP header and the start of its transport header); that quote is decoded too, as Wireshark
// does, and marked so that TCP analysis does not take it for a segment of the connection.

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
  const type = d.buf[off];
  const isError = proto === Proto.Icmp ? ICMP_ERROR_TYPES.includes(type) : type >= 1 && type <= 4;
  if (!isError || end - off <= ICMP_ERROR_QUOTE_OFF || d.inIcmpError) return Proto.None;
  d.inIcmpError = true;
  d.nextOff = off + ICMP_ERROR_QUOTE_OFF;
  return proto === Proto.Icmp ? Proto.IPv4 : Proto.IPv6;
}

// Destination unreachable, source quench, redirect, time exceeded, parameter problem (RFC 792)
const ICMP_ERROR_TYPES = [3, 4, 5, 11, 12];
const ICMP_ERROR_QUOTE_OFF = 8;
