// Link layers: Ethernet II with 802.1Q/802.1ad tags, Linux cooked capture v1/v2, BSD loopback,
// PPP, and raw IP. Each step validates its header length once, then reads freely.

import { u16, u32 } from './bytes';
import { Dissection, Malformed, Proto, MAX_VLAN } from './dissection';
import { etherTypeProtocol, fixDispatch } from './protocol-registry';

/** Link-layer header types (LINKTYPE_* of the pcap/pcapng specification). */
export const enum LinkType {
  Null = 0,
  Ethernet = 1,
  Ppp = 9,
  RawOpenBsd = 12,
  RawBsdOs = 14,
  PppHdlc = 50,
  Raw = 101,
  Loop = 108,
  LinuxSll = 113,
  Ipv4 = 228,
  Ipv6 = 229,
  LinuxSll2 = 276,
}
// The same numbers by their specification names; the decode loop's switch uses the const enum,
// whose members TypeScript writes as literals (an object's members are property loads per frame).
export const LINKTYPE = {
  NULL: LinkType.Null,
  ETHERNET: LinkType.Ethernet,
  PPP: LinkType.Ppp,
  RAW_OPENBSD: LinkType.RawOpenBsd,
  RAW_BSDOS: LinkType.RawBsdOs,
  PPP_HDLC: LinkType.PppHdlc,
  RAW: LinkType.Raw,
  LOOP: LinkType.Loop,
  LINUX_SLL: LinkType.LinuxSll,
  IPV4: LinkType.Ipv4,
  IPV6: LinkType.Ipv6,
  LINUX_SLL2: LinkType.LinuxSll2,
} as const;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_TEB = 0x6558; // transparent Ethernet bridging (GRE, Geneve)

// Ethernet II header (IEEE 802.3 clause 3.2)
const enum EthHeader {
  Dst = 0,
  Src = 6,
  Type = 12,
  Len = 14,
}
export const ETH_DST = EthHeader.Dst;
export const ETH_SRC = EthHeader.Src;
export const ETH_TYPE = EthHeader.Type;
export const ETH_HEADER_LEN = EthHeader.Len;
const VLAN_TAG_LEN = 4;

// Linux cooked capture v1: packet type(2) hatype(2) halen(2) address(8) protocol(2)
export const SLL_PKTTYPE = 0;
export const SLL_HATYPE = 2;
export const SLL_HALEN = 4;
export const SLL_ADDR = 6;
export const SLL_PROTOCOL = 14;
export const SLL_HEADER_LEN = 16;
// Linux cooked capture v2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) address(8)
export const SLL2_PROTOCOL = 0;
export const SLL2_IFINDEX = 4;
export const SLL2_HATYPE = 8;
export const SLL2_PKTTYPE = 10;
export const SLL2_HALEN = 11;
export const SLL2_ADDR = 12;
export const SLL2_HEADER_LEN = 20;

// BSD loopback: 4-byte address family, host byte order of the capturing machine (NULL) or big-endian (LOOP)
const NULL_HEADER_LEN = 4;
const AF_INET = 2;
// AF_INET6 differs between BSDs: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (Darwin); Linux is 10.
const AF_INET6_VALUES = [10, 24, 28, 30];

// The EtherTypes the fixed layers take; 802.1ad's service tag (ETHERTYPE_QINQ) is a registered
// protocol (src/protocols/ieee8021ad).
fixDispatch('ethertype', [
  [ETHERTYPE_IPV4, Proto.IPv4], [ETHERTYPE_IPV6, Proto.IPv6], [ETHERTYPE_ARP, Proto.Arp],
  [ETHERTYPE_VLAN, Proto.Vlan], [ETHERTYPE_QINQ_OLD, Proto.Vlan], [ETHERTYPE_TEB, Proto.Eth],
]);

/** Maps an EtherType to the next decode step: one table lookup, -d ethertype==… included. */
export function etherTypeNext(type: number): Proto {
  return etherTypeProtocol(type);
}

export function decodeEthernet(d: Dissection, off: number, end: number): Proto {
  if (end - off < EthHeader.Len) {
    d.markMalformed(Malformed.Link, Proto.Eth);
    return Proto.None;
  }
  if (d.ethOff < 0) d.ethOff = off;
  d.pushLayer(Proto.Eth, off);
  const type = u16(d.buf, off + EthHeader.Type);
  d.etherType = type;
  d.nextOff = off + EthHeader.Len;
  // Values up to 1500 are an 802.3 length followed by LLC, which tcpwatch does not dissect.
  return type <= 1500 ? Proto.None : etherTypeNext(type);
}

export function decodeVlan(d: Dissection, off: number, end: number): Proto {
  if (end - off < VLAN_TAG_LEN) {
    d.markMalformed(Malformed.Link, Proto.Vlan);
    return Proto.None;
  }
  if (d.vlanCount < MAX_VLAN) d.vlanOff[d.vlanCount++] = off;
  d.pushLayer(Proto.Vlan, off);
  const type = u16(d.buf, off + 2);
  d.etherType = type;
  d.nextOff = off + VLAN_TAG_LEN;
  return type <= 1500 ? Proto.None : etherTypeNext(type);
}

export function decodeSll(d: Dissection, off: number, end: number): Proto {
  if (end - off < SLL_HEADER_LEN) {
    d.markMalformed(Malformed.Link, Proto.Sll);
    return Proto.None;
  }
  d.sllOff = off;
  d.sllVersion = 1;
  d.pushLayer(Proto.Sll, off);
  const type = u16(d.buf, off + SLL_PROTOCOL);
  d.etherType = type;
  d.nextOff = off + SLL_HEADER_LEN;
  return etherTypeNext(type);
}

export function decodeSll2(d: Dissection, off: number, end: number): Proto {
  if (end - off < SLL2_HEADER_LEN) {
    d.markMalformed(Malformed.Link, Proto.Sll2);
    return Proto.None;
  }
  d.sllOff = off;
  d.sllVersion = 2;
  d.pushLayer(Proto.Sll2, off);
  const type = u16(d.buf, off + SLL2_PROTOCOL);
  d.etherType = type;
  d.nextOff = off + SLL2_HEADER_LEN;
  return etherTypeNext(type);
}

export function decodeNull(d: Dissection, off: number, end: number, bigEndian: boolean): Proto {
  if (end - off < NULL_HEADER_LEN) {
    d.markMalformed(Malformed.Link, Proto.Null);
    return Proto.None;
  }
  d.nullOff = off;
  d.pushLayer(Proto.Null, off);
  let family = bigEndian ? u32(d.buf, off) : d.buf.readUInt32LE(off);
  // The capturing host's byte order is unknown for LINKTYPE_NULL: a family in the upper half
  // means the other order was used (libpcap and Wireshark make the same guess).
  if (!bigEndian && (family & 0xffff0000) !== 0) family = u32(d.buf, off);
  d.nextOff = off + NULL_HEADER_LEN;
  if (family === AF_INET) return Proto.IPv4;
  if (AF_INET6_VALUES.includes(family)) return Proto.IPv6;
  return Proto.None;
}

// PPP (RFC 1661 §2): an optional HDLC-like address 0xff and control 0x03 (RFC 1662 §3.1), then the
// protocol field, which a peer may compress to one byte (its low bit is set only in the last byte).
const PPP_ADDRESS = 0xff;
const PPP_CONTROL = 0x03;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

export function decodePpp(d: Dissection, off: number, end: number): Proto {
  let p = off;
  if (end - p >= 2 && d.buf[p] === PPP_ADDRESS && d.buf[p + 1] === PPP_CONTROL) p += 2;
  if (p >= end) {
    d.markMalformed(Malformed.Link, Proto.Ppp);
    return Proto.None;
  }
  let protocol = d.buf[p];
  if ((protocol & 1) === 0) {
    if (end - p < 2) {
      d.markMalformed(Malformed.Link, Proto.Ppp);
      return Proto.None;
    }
    protocol = u16(d.buf, p);
    p += 2;
  } else p += 1;
  d.pushLayer(Proto.Ppp, off);
  d.nextOff = p;
  if (protocol === PPP_IPV4) return Proto.IPv4;
  if (protocol === PPP_IPV6) return Proto.IPv6;
  return Proto.None;
}

/** Raw IP: the version nibble picks IPv4 or IPv6. */
export function rawIpNext(d: Dissection, off: number, end: number): Proto {
  d.nextOff = off;
  d.pushLayer(Proto.Raw, off);
  if (end - off < 1) {
    d.markMalformed(Malformed.Network, Proto.IPv4);
    return Proto.None;
  }
  const version = d.buf[off] >> 4;
  if (version === 4) return Proto.IPv4;
  if (version === 6) return Proto.IPv6;
  d.markMalformed(Malformed.Network, Proto.IPv4);
  return Proto.None;
}
