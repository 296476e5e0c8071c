// IPv4 (RFC 791) and IPv6 (RFC 8200) with its extension-header chain.

import { ipProtoProtocol, fixDispatch } from './protocol-registry';
import { u16, u32 } from './bytes';
import { Dissection, Malformed, Proto, isIpv6Extension } from './dissection';

// IPv4 header fields (RFC 791 §3.1). A const enum, so that decodeIPv4 reads them as literals rather
// than loading each from the module's exports for every packet; the exported names are for the rest.
const enum Ip4Header {
  VersionIhl = 0,
  DsField = 1,
  TotalLen = 2,
  Id = 4,
  FlagsFrag = 6,
  Ttl = 8,
  Proto = 9,
  Checksum = 10,
  Src = 12,
  Dst = 16,
  MinLen = 20,
  FlagMf = 0x2000,
  FragOffsetMask = 0x1fff,
}
export const IP4_VERSION_IHL = Ip4Header.VersionIhl;
export const IP4_DSFIELD = Ip4Header.DsField;
export const IP4_TOTAL_LEN = Ip4Header.TotalLen;
export const IP4_ID = Ip4Header.Id;
export const IP4_FLAGS_FRAG = Ip4Header.FlagsFrag;
export const IP4_TTL = Ip4Header.Ttl;
export const IP4_PROTO = Ip4Header.Proto;
export const IP4_CHECKSUM = Ip4Header.Checksum;
export const IP4_SRC = Ip4Header.Src;
export const IP4_DST = Ip4Header.Dst;
export const IP4_MIN_HEADER_LEN = Ip4Header.MinLen;

// IPv6 header fields (RFC 8200 §3)
export const IP6_VTC_FLOW = 0;
export const IP6_PAYLOAD_LEN = 4;
export const IP6_NEXT_HEADER = 6;
export const IP6_HOP_LIMIT = 7;
export const IP6_SRC = 8;
export const IP6_DST = 24;
export const IP6_HEADER_LEN = 40;

// IP protocol numbers (IANA)
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_GRE = 47;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_MOBILITY = 135;

// Hop-by-hop Jumbo Payload option (RFC 2675)
const OPT_JUMBO = 0xc2;

// The IP protocol numbers the fixed layers take.
fixDispatch('ip.proto', [
  [IPPROTO_TCP, Proto.Tcp], [IPPROTO_UDP, Proto.Udp], [IPPROTO_ICMP, Proto.Icmp], [IPPROTO_ICMPV6, Proto.Icmpv6],
  [IPPROTO_IPIP, Proto.IPv4], [IPPROTO_IPV6, Proto.IPv6], [IPPROTO_GRE, Proto.Gre],
]);

/** Maps an IP protocol number to the next decode step: one table lookup, -d ip.proto==… included. */
export function ipProtoNext(proto: number): Proto {
  return ipProtoProtocol(proto);
}

export function decodeIPv4(d: Dissection, off: number, end: number): Proto {
  const buf = d.buf;
  if (end - off < Ip4Header.MinLen || buf[off] >> 4 !== 4) {
    d.markMalformed(Malformed.Network, Proto.IPv4);
    return Proto.None;
  }
  const hdrLen = (buf[off] & 0x0f) * 4;
  if (hdrLen < Ip4Header.MinLen || hdrLen > end - off) {
    d.markMalformed(Malformed.Network, Proto.IPv4);
    return Proto.None;
  }
  let totalLen = u16(buf, off + Ip4Header.TotalLen);
  // A total length of 0 is what TCP segmentation offload leaves in locally sent super-packets;
  // Wireshark then takes the captured length, and so do we.
  if (totalLen === 0) totalLen = end - off;
  if (totalLen < hdrLen) {
    d.markMalformed(Malformed.Network, Proto.IPv4);
    return Proto.None;
  }
  if (d.ip4Off < 0) {
    d.ip4Off = off;
    d.ip4HdrLen = hdrLen;
  }
  d.pushLayer(Proto.IPv4, off);
  // The packet an ICMP error quotes does not replace the addresses the frame travelled with.
  if (!d.inIcmpError) {
    d.netOff = off;
    d.netVersion = 4;
  }
  const proto = buf[off + Ip4Header.Proto];
  d.ipProto = proto;
  d.netPayloadLen = totalLen - hdrLen;
  d.netEnd = Math.min(off + totalLen, end);
  const fragField = u16(buf, off + Ip4Header.FlagsFrag);
  d.nextOff = off + hdrLen;
  if ((fragField & (Ip4Header.FlagMf | Ip4Header.FragOffsetMask)) !== 0) {
    d.fragmented = true;
    // Only the first fragment holds the transport header.
    if ((fragField & Ip4Header.FragOffsetMask) !== 0) return Proto.None;
  }
  return ipProtoNext(proto);
}

export function decodeIPv6(d: Dissection, off: number, end: number): Proto {
  const buf = d.buf;
  if (end - off < IP6_HEADER_LEN || buf[off] >> 4 !== 6) {
    d.markMalformed(Malformed.Network, Proto.IPv6);
    return Proto.None;
  }
  if (d.ip6Off < 0) d.ip6Off = off;
  d.pushLayer(Proto.IPv6, off);
  if (!d.inIcmpError) {
    d.netOff = off;
    d.netVersion = 6;
  }
  let payloadLen = u16(buf, off + IP6_PAYLOAD_LEN);
  let next = buf[off + IP6_NEXT_HEADER];
  let p = off + IP6_HEADER_LEN;
  // Payload length 0 means a jumbogram (RFC 2675) only when a Jumbo Payload option says so;
  // otherwise the packet is empty, as Wireshark reads it (BIG TCP without the option is malformed).
  const jumbo = payloadLen === 0 && buf[off + IP6_NEXT_HEADER] === IPPROTO_HOPOPTS;
  // Walk the extension headers; each is checked against captured bytes before it is read.
  for (let guard = 0; guard < 16; guard++) {
    if (next === IPPROTO_HOPOPTS || next === IPPROTO_ROUTING || next === IPPROTO_DSTOPTS ||
        next === IPPROTO_MOBILITY || next === IPPROTO_FRAGMENT || next === IPPROTO_AH) {
      if (end - p < 8) {
        d.markMalformed(Malformed.Network, Proto.IPv6);
        return Proto.None;
      }
      const extLen = extensionHeaderLength(buf, next, p);
      if (extLen > end - p) {
        d.markMalformed(Malformed.Network, Proto.IPv6);
        return Proto.None;
      }
      const layer = extensionLayer(next);
      if (layer !== Proto.None) d.pushLayer(layer, p);
      if (next === IPPROTO_HOPOPTS && jumbo) {
        const jl = findJumboLength(buf, p + 2, p + extLen);
        if (jl >= 0) payloadLen = jl;
      }
      if (next === IPPROTO_FRAGMENT) {
        const fragField = u16(buf, p + 2);
        d.fragmented = true;
        if ((fragField & 0xfff8) !== 0) {
          d.ipProto = buf[p];
          d.netPayloadLen = payloadLen - (p + extLen - off - IP6_HEADER_LEN);
          d.netEnd = Math.min(off + IP6_HEADER_LEN + payloadLen, end);
          return Proto.None;
        }
      }
      next = buf[p];
      p += extLen;
      continue;
    }
    break;
  }
  const consumed = p - off - IP6_HEADER_LEN;
  if (consumed > payloadLen) {
    d.markMalformed(Malformed.Network, Proto.IPv6);
    return Proto.None;
  }
  d.ipProto = next;
  d.netPayloadLen = payloadLen - consumed;
  d.netEnd = Math.min(off + IP6_HEADER_LEN + payloadLen, end);
  d.nextOff = p;
  return ipProtoNext(next);
}

/** Bytes of the extension header of type `next` at p (RFC 8200 §4.3-4.6, RFC 4302 §2.2 for AH); p + 2 must be captured. */
export function extensionHeaderLength(buf: Buffer, next: number, p: number): number {
  return next === IPPROTO_FRAGMENT ? 8 : next === IPPROTO_AH ? (buf[p + 1] + 2) * 4 : (buf[p + 1] + 1) * 8;
}

/** The IP protocol number of an extension header's layer. */
export function extensionHeaderType(layer: number): number {
  switch (layer) {
    case Proto.Ipv6HopOpts: return IPPROTO_HOPOPTS;
    case Proto.Ipv6Routing: return IPPROTO_ROUTING;
    case Proto.Ipv6FragHdr: return IPPROTO_FRAGMENT;
    default: return IPPROTO_DSTOPTS;
  }
}

/**
 * Where the IPv6 header that starts at stack index k ends with the extension headers that follow it
 * (the IPv6 subtree covers them all, as Wireshark's does). Each was checked against the captured
 * bytes when it was decoded.
 */
export function ipv6ChainEnd(d: Dissection, k: number): number {
  let end = d.stackOff[k] + IP6_HEADER_LEN;
  for (let j = k + 1; j < d.stackLen && isIpv6Extension(d.stack[j]); j++) {
    end = d.stackOff[j] + extensionHeaderLength(d.buf, extensionHeaderType(d.stack[j]), d.stackOff[j]);
  }
  return end;
}

/** The layer Wireshark lists for an extension header (AH and Mobility are not read as such yet). */
function extensionLayer(next: number): Proto {
  switch (next) {
    case IPPROTO_HOPOPTS: return Proto.Ipv6HopOpts;
    case IPPROTO_ROUTING: return Proto.Ipv6Routing;
    case IPPROTO_FRAGMENT: return Proto.Ipv6FragHdr;
    case IPPROTO_DSTOPTS: return Proto.Ipv6DstOpts;
    default: return Proto.None;
  }
}

/** Jumbo Payload length from a hop-by-hop options area, or -1. */
export function findJumboLength(buf: Buffer, p: number, end: number): number {
  while (p < end) {
    const type = buf[p];
    if (type === 0) { p++; continue; } // Pad1
    if (end - p < 2) return -1;
    const len = buf[p + 1];
    if (type === OPT_JUMBO && len === 4 && end - p >= 6) return u32(buf, p + 2);
    p += 2 + len;
  }
  return -1;
}
