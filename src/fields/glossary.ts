// How each registered field is typed in tshark's terms (`tshark -G fields`): the type name
// (FT_UINT16, FT_IPv4 …), the display base and the bit mask, worked out from the one declaration.

import { FieldDef, FT } from './registry';

/** Whether a field is a protocol (its own name, or one Wireshark registers as a protocol under a field's name). */
export function isProtocol(f: FieldDef): boolean {
  return f.ftype === 'FT_PROTOCOL' || (f.name === f.proto && f.type === FT.None);
}

export function tsharkType(f: FieldDef): string {
  if (f.ftype !== undefined) return f.ftype;
  if (isProtocol(f)) return 'FT_PROTOCOL';
  switch (f.type) {
    case FT.UInt:
    case FT.Hex:
      return `FT_UINT${f.valueBits ?? 32}`;
    case FT.Int:
      return `FT_INT${f.valueBits ?? 32}`;
    case FT.Bool: return 'FT_BOOLEAN';
    case FT.Double: return 'FT_DOUBLE';
    case FT.AbsTime: return 'FT_ABSOLUTE_TIME';
    case FT.RelTime: return 'FT_RELATIVE_TIME';
    case FT.IPv4: return 'FT_IPv4';
    case FT.IPv6: return 'FT_IPv6';
    case FT.Ether: return 'FT_ETHER';
    case FT.Bytes: return 'FT_BYTES';
    case FT.String: return 'FT_STRING';
    default: return 'FT_NONE';
  }
}

/** The display base column: a boolean's bit width (0 without a mask), BASE_HEX or BASE_DEC for integers, nothing otherwise. */
export function displayBase(f: FieldDef): string {
  const t = tsharkType(f);
  if (t === 'FT_BOOLEAN') return String(f.mask !== undefined ? f.bitWidth ?? 8 : 0);
  if (/^FT_U?INT\d+$/.test(t)) return f.type === FT.Hex ? 'BASE_HEX' : 'BASE_DEC';
  return '';
}

export function bitmask(f: FieldDef): string {
  return `0x${(f.mask ?? 0).toString(16)}`;
}

/**
 * tshark's long and short names of the protocols whose tree heading or upper-cased filter name is
 * not it (`-G protocols`, the Protocol column of `-z expert`). The others: the heading, and the
 * filter name in capitals.
 */
const PROTOCOL_NAMES: Readonly<Record<string, readonly [long: string, short: string]>> = {
  eth: ['Ethernet', 'Ethernet'], sll: ['Linux cooked-mode capture', 'SLL'], null: ['Null/Loopback', 'Null'],
  ip: ['Internet Protocol Version 4', 'IPv4'], ipv6: ['Internet Protocol Version 6', 'IPv6'], ieee8021ad: ['IEEE 802.1ad', 'IEEE 802.1AD'],
  geneve: ['Generic Network Virtualization Encapsulation', 'Geneve'], icmpv6: ['Internet Control Message Protocol v6', 'ICMPv6'],
  arp: ['Address Resolution Protocol', 'ARP/RARP'], vsock: ['vSocket', 'vsock'], dhcp: ['Dynamic Host Configuration Protocol', 'DHCP/BOOTP'],
  mdns: ['Multicast Domain Name System', 'mDNS'], socks: ['Socks Protocol', 'Socks'], frame: ['Frame', 'Frame'], data: ['Data', 'Data'],
  raw: ['Raw packet data', 'Raw'], 'ipv6.hopopts': ['IPv6 Hop-by-Hop Option', 'IPv6 Hop-by-Hop'],
  'ipv6.routing': ['Routing Header for IPv6', 'IPv6 Routing'], 'ipv6.fraghdr': ['Fragment Header for IPv6', 'IPv6 Fragment'],
  'ipv6.dstopts': ['Destination Options for IPv6', 'IPv6 Destination'], 'data-text-lines': ['Line-based text data', 'Line-based text data'],
  ripng: ['RIPng', 'RIPng'], 'urlencoded-form': ['HTML Form URL Encoded', 'URL Encoded Form Data'],
};

export function protocolLongName(f: FieldDef): string {
  return PROTOCOL_NAMES[f.name]?.[0] ?? f.label;
}

export function protocolShortName(name: string): string {
  return PROTOCOL_NAMES[name]?.[1] ?? name.toUpperCase();
}
