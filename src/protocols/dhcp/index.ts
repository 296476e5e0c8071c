// DHCP and BOOTP (RFC 951, RFC 2131/2132) on udp.port 67 and 68, as tshark 4.0 shows them
// (packet-dhcp.c): Protocol `DHCP` and "DHCP Discover - Transaction ID 0x…" when a DHCP Message Type
// option (53) is present, else `BOOTP` and "Boot Request from …" / "Boot Reply". The fixed header,
// each option's type and length, and the values of the options named in OPTION_VALUES (addresses,
// times, strings, the parameter request list, static routes, user classes, client identifiers) are
// fields; another option's value is shown as its bytes (dhcp.option.value), as tshark shows an
// option it has no dissector for.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';
import { asciiText, ipv4At, macAt, secondsText } from '../../fields/format';
import { registerAppSummary } from '../../output/summary';
import { macName, nameResolution } from '../../fields/names';

/** RFC 2131 §4.1: servers listen on 67, clients on 68. */
export const DHCP_PORTS = [67, 68] as const;

// RFC 2131 §2 fixed header
const OP = 0;
const HTYPE = 1;
const HLEN = 2;
const HOPS = 3;
const XID = 4;
const SECS = 8;
const FLAGS = 10;
const CIADDR = 12;
const YIADDR = 16;
const SIADDR = 20;
const GIADDR = 24;
const CHADDR = 28;
const CHADDR_LEN = 16;
const SNAME = 44;
const SNAME_LEN = 64;
const FILE = 108;
const FILE_LEN = 128;
/** Where the vendor area (RFC 1497) or the magic cookie and options begin. */
const VENDOR = 236;
/** RFC 1497: the vendor area without a magic cookie is 64 bytes. */
const BOOTP_VENDOR_LEN = 64;
const HEADER_LEN = VENDOR;
/** RFC 2131 §3: 99.130.83.99 marks DHCP options. */
const MAGIC_COOKIE = 0x63825363;
const COOKIE_LEN = 4;
/** RFC 2131 §2: the BROADCAST bit of the flags; the other 15 must be zero. */
const FLAG_BROADCAST = 0x8000;
const FLAGS_RESERVED = 0x7fff;

const BOOTREQUEST = 1;
const BOOTREPLY = 2;
/** RFC 1700 hardware types with Ethernet-like 6-byte addresses (packet-dhcp.c treats both alike). */
const ARPHRD_ETHER = 1;
const ARPHRD_IEEE802 = 6;

const OPT_PAD = 0;
const OPT_END = 255;
const OPT_MESSAGE_TYPE = 53;
const OPT_CLIENT_ID = 61;
const OPT_STATIC_ROUTE = 33;
const OPT_PARAMETER_REQUEST_LIST = 55;
const OPT_USER_CLASS = 77;
/** RFC 2132 §5.8: a destination and its router, 4 bytes each. */
const STATIC_ROUTE_LEN = 8;

/** RFC 2132 §9.6, RFC 4388 §6.1, RFC 6926, RFC 7724: as packet-dhcp.c names them. */
const MESSAGE_TYPES: Readonly<Record<number, string>> = {
  1: 'Discover', 2: 'Offer', 3: 'Request', 4: 'Decline', 5: 'ACK', 6: 'NAK', 7: 'Release', 8: 'Inform',
  9: 'Force Renew', 10: 'Lease query', 11: 'Lease Unassigned', 12: 'Lease Unknown', 13: 'Lease Active',
  14: 'Bulk Lease Query', 15: 'Lease Query Done', 16: 'Active LeaseQuery', 17: 'Lease Query Status', 18: 'TLS',
};
const OPS: Readonly<Record<number, string>> = { [BOOTREQUEST]: 'Boot Request', [BOOTREPLY]: 'Boot Reply' };
/** The hardware types packet-dhcp.c names (arp's table, the ones DHCP clients use). */
const HARDWARE_TYPES: Readonly<Record<number, string>> = {
  1: 'Ethernet', 6: 'IEEE 802 Networks', 7: 'ARCNET', 15: 'Frame Relay', 16: 'ATM', 18: 'Fibre Channel', 20: 'Serial Line', 32: 'InfiniBand',
};

/**
 * The options' names, by code, as tshark's option list gives them (IANA's BOOTP/DHCP parameters in
 * packet-dhcp.c's words); codes not listed are "Unassigned" (162-174, 178-207 …) or "Private" (224-254).
 */
const OPTION_NAMES: Readonly<Record<number, string>> = {
  0: 'Padding', 1: 'Subnet Mask', 2: 'Time Offset', 3: 'Router', 4: 'Time Server', 5: 'Name Server', 6: 'Domain Name Server',
  7: 'Log Server', 8: 'Quotes Server', 9: 'LPR Server', 10: 'Impress Server', 11: 'Resource Location Server', 12: 'Host Name',
  13: 'Boot File Size', 14: 'Merit Dump File', 15: 'Domain Name', 16: 'Swap Server', 17: 'Root Path', 18: 'Extensions Path',
  19: 'IP Forwarding', 20: 'Non-Local Source Routing', 21: 'Policy Filter', 22: 'Maximum Datagram Reassembly Size',
  23: 'Default IP Time-to-Live', 24: 'Path MTU Aging Timeout', 25: 'Path MTU Plateau Table', 26: 'Interface MTU',
  27: 'All Subnets are Local', 28: 'Broadcast Address', 29: 'Perform Mask Discovery', 30: 'Mask Supplier',
  31: 'Perform Router Discover', 32: 'Router Solicitation Address', 33: 'Static Route', 34: 'Trailer Encapsulation',
  35: 'ARP Cache Timeout', 36: 'Ethernet Encapsulation', 37: 'TCP Default TTL', 38: 'TCP Keepalive Interval',
  39: 'TCP Keepalive Garbage', 40: 'Network Information Service Domain', 41: 'Network Information Service Servers',
  42: 'Network Time Protocol Servers', 43: 'Vendor-Specific Information', 44: 'NetBIOS over TCP/IP Name Server',
  45: 'NetBIOS over TCP/IP Datagram Distribution Name Server', 46: 'NetBIOS over TCP/IP Node Type', 47: 'NetBIOS over TCP/IP Scope',
  48: 'X Window System Font Server', 49: 'X Window System Display Manager', 50: 'Requested IP Address', 51: 'IP Address Lease Time',
  52: 'Option Overload', 53: 'DHCP Message Type', 54: 'DHCP Server Identifier', 55: 'Parameter Request List', 56: 'Message',
  57: 'Maximum DHCP Message Size', 58: 'Renewal Time Value', 59: 'Rebinding Time Value', 60: 'Vendor class identifier',
  61: 'Client identifier', 62: 'Novell/Netware IP domain', 63: 'Novell Options', 64: 'Network Information Service+ Domain',
  65: 'Network Information Service+ Servers', 66: 'TFTP Server Name', 67: 'Bootfile name', 68: 'Mobile IP Home Agent',
  69: 'SMTP Server', 70: 'POP3 Server', 71: 'NNTP Server', 72: 'Default WWW Server', 73: 'Default Finger Server',
  74: 'Default IRC Server', 75: 'StreetTalk Server', 76: 'StreetTalk Directory Assistance Server', 77: 'User Class Information',
  78: 'Directory Agent Information', 79: 'Service Location Agent Scope', 80: 'Rapid commit', 81: 'Client Fully Qualified Domain Name',
  82: 'Agent Information Option', 83: 'iSNS', 84: 'Removed/Unassigned', 85: 'Novell Directory Services Servers',
  86: 'Novell Directory Services Tree Name', 87: 'Novell Directory Services Context', 88: 'BCMCS Controller Domain Name [TODO:RFC4280]',
  89: 'BCMCS Controller IPv4 address [TODO:RFC4280]', 90: 'Authentication', 91: 'Client last transaction time', 92: 'Associated IP option',
  93: 'Client System Architecture', 94: 'Client Network Device Interface', 95: 'LDAP [TODO:RFC3679]', 96: 'Removed/Unassigned',
  97: 'UUID/GUID-based Client Identifier', 98: 'Open Group\'s User Authentication [TODO:RFC2485]', 99: 'Civic Addresses Configuration',
  100: 'PCode', 101: 'TCode', 102: 'Removed/unassigned', 103: 'Removed/unassigned', 104: 'Removed/unassigned', 105: 'Removed/unassigned',
  106: 'Removed/unassigned', 107: 'Removed/unassigned', 108: 'Removed/Unassigned', 110: 'Removed/Unassigned',
  112: 'NetInfo Parent Server Address', 113: 'NetInfo Parent Server Tag', 114: 'DHCP Captive-Portal', 115: 'Removed/Unassigned',
  116: 'DHCP Auto-Configuration', 117: 'Name Service Search', 118: 'Subnet Selection Option', 119: 'Domain Search', 120: 'SIP Servers',
  121: 'Classless Static Route', 122: 'CableLabs Client Configuration [TODO:RFC3495]', 123: 'Coordinate-based Location Configuration',
  124: 'V-I Vendor Class', 125: 'V-I Vendor-specific Information', 126: 'Removed/Unassigned', 127: 'Removed/Unassigned',
  128: 'DOCSIS full security server IP [TODO]', 129: 'PXE - undefined (vendor specific)', 130: 'PXE - undefined (vendor specific)',
  131: 'PXE - undefined (vendor specific)', 132: 'PXE - undefined (vendor specific)', 133: 'PXE - undefined (vendor specific)',
  134: 'PXE - undefined (vendor specific)', 135: 'PXE - undefined (vendor specific)', 136: 'PANA Authentication Agent',
  137: 'LoST Server Domain Name', 138: 'CAPWAP Access Controllers', 139: 'IPv4 Address-MoS', 140: 'IPv4 FQDN-MoS',
  141: 'SIP UA Configuration Domains', 142: 'IPv4 Address ANDSF', 143: 'Zerotouch Redirect [TODO: draft-ietf-netconf-zerotouch]',
  144: 'Geospatial Location [TODO:RFC6225]', 145: 'Forcerenew Nonce Capable', 146: 'RDNSS Selection', 150: 'TFTP Server Address',
  151: 'Leasequery Status code', 152: 'Leasequery Base Time', 153: 'Leasequery Start Time of State', 154: 'Leasequery Query Start Time',
  155: 'Leasequery Query End Time', 156: 'Leasequery Dhcp State', 157: 'Leasequery Data Source', 158: 'PCP Server', 159: 'Portparams',
  160: 'Unassigned (ex DHCP Captive-Portal)', 161: 'Manufacturer Usage Description', 175: 'Etherboot', 176: 'IP Telephone', 177: 'Etherboot',
  208: 'PXELINUX Magic', 209: 'PXE Configuration file', 210: 'PXE Path Prefix', 211: 'Reboot Time', 212: '6RD', 213: 'V4 Access Domain',
  220: 'Subnet Allocation', 221: 'Virtual Subnet Selection', 242: 'Private/Avaya IP Telephone',
  249: 'Private/Classless Static Route (Microsoft)', 252: 'Private/Proxy autodiscovery', 255: 'End',
};
const optionName = (code: number): string => OPTION_NAMES[code] ?? (code >= 224 ? 'Private' : 'Unassigned');

/** How packet-dhcp.c reads an option's value (its "basic types"), for the options tcpwatch dissects. */
const enum Kind { Ipv4, Ipv4List, String, UInt16, UInt32Secs, Int32Secs }
/** Kinds of one item: its size, and whether the value must be exactly one item. */
const KIND_SIZE = [4, 4, 1, 2, 4, 4];
const KIND_SINGLE = [true, false, false, true, true, true];
/** packet-dhcp.c's complaint when the length does not fit the kind. */
const KIND_BAD_LENGTH = ['length isn\'t 4', 'Option length isn\'t a multiple of 4', '', 'length isn\'t 2', 'length isn\'t 4', 'length isn\'t 4'];

/** The options whose value tcpwatch dissects as a basic type: code, field name, label, kind (packet-dhcp.c's names). */
const OPTION_VALUES: readonly (readonly [number, string, string, Kind])[] = [
  [1, 'subnet_mask', 'Subnet Mask', Kind.Ipv4],
  [2, 'time_offset', 'Time Offset', Kind.Int32Secs],
  [3, 'router', 'Router', Kind.Ipv4List],
  [6, 'domain_name_server', 'Domain Name Server', Kind.Ipv4List],
  [12, 'hostname', 'Host Name', Kind.String],
  [15, 'domain_name', 'Domain Name', Kind.String],
  [26, 'interface_mtu', 'Interface MTU', Kind.UInt16],
  [28, 'broadcast_address', 'Broadcast Address', Kind.Ipv4],
  [42, 'ntp_server', 'Network Time Protocol Server', Kind.Ipv4List],
  [50, 'requested_ip_address', 'Requested IP Address', Kind.Ipv4],
  [51, 'ip_address_lease_time', 'IP Address Lease Time', Kind.UInt32Secs],
  [54, 'dhcp_server_id', 'DHCP Server Identifier', Kind.Ipv4],
  [57, 'dhcp_max_message_size', 'Maximum DHCP Message Size', Kind.UInt16],
  [58, 'renewal_time_value', 'Renewal Time Value', Kind.UInt32Secs],
  [59, 'rebinding_time_value', 'Rebinding Time Value', Kind.UInt32Secs],
  [91, 'client_last_transaction_time', 'Client last transaction time', Kind.UInt32Secs],
  [92, 'associated_ip_option', 'Associated IP option', Kind.Ipv4List],
];
/** Per option code: its basic kind, or -1. */
const KIND_OF = new Int8Array(256).fill(-1);
for (const [code, , , kind] of OPTION_VALUES) KIND_OF[code] = kind;
/** Options dissected by their own rules rather than as a basic type. */
const SPECIAL = new Set([OPT_MESSAGE_TYPE, OPT_STATIC_ROUTE, OPT_PARAMETER_REQUEST_LIST, OPT_USER_CLASS]);

/** Options kept per frame; the walk stops (the frame still shown) beyond this many. */
const MAX_OPTIONS = 512;

class DhcpLayer {
  off = 0;
  end = 0;
  /** Offset of the DHCP Message Type option's value, or -1. */
  messageType = -1;
  optionCount = 0;
  /** Where each option starts: its code byte (a run of Pad bytes is one option, as tshark shows it). */
  readonly optionOff = new Int32Array(MAX_OPTIONS);
  /** Each option's whole length in bytes, code and length byte included (0: its length runs past the datagram). */
  readonly optionLen = new Int32Array(MAX_OPTIONS);
}

export const dhcp = registerProtocol({
  name: 'dhcp',
  label: 'DHCP',
  udpPorts: DHCP_PORTS,
  makeLayer: () => new DhcpLayer(),
  decode(d: Dissection, layer: DhcpLayer, off: number, end: number, id: number): number {
    layer.off = off;
    layer.end = end;
    layer.messageType = -1;
    layer.optionCount = 0;
    d.pushLayer(id, off);
    if (end - off < HEADER_LEN) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    let p = off + VENDOR;
    if (end - p >= COOKIE_LEN && d.buf.readUInt32BE(p) === MAGIC_COOKIE) p += COOKIE_LEN;
    else {
      // RFC 951 vendor area: tshark reads its 64 bytes and finds no options after them.
      if (end - p < BOOTP_VENDOR_LEN) d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    // RFC 2132 §2: code, length, value; Pad and End are one byte. Each step moves on, so the walk ends.
    while (p < end && layer.optionCount < MAX_OPTIONS) {
      const code = d.buf[p];
      const k = layer.optionCount++;
      layer.optionOff[k] = p;
      if (code === OPT_END) {
        layer.optionLen[k] = 1;
        break;
      }
      if (code === OPT_PAD) {
        let q = p + 1;
        while (q < end && d.buf[q] === OPT_PAD) q++;
        layer.optionLen[k] = q - p;
        p = q;
        continue;
      }
      if (p + 2 > end || p + 2 + d.buf[p + 1] > end) {
        // The option's length runs past the datagram.
        layer.optionLen[k] = 0;
        d.markMalformed(Malformed.Application, id);
        break;
      }
      layer.optionLen[k] = 2 + d.buf[p + 1];
      if (code === OPT_MESSAGE_TYPE && layer.messageType < 0 && d.buf[p + 1] >= 1) layer.messageType = p + 2;
      p += 2 + d.buf[p + 1];
    }
    return Proto.None;
  },
});

/** The hardware address as packet-dhcp.c prints it: Ethernet-like ones as MACs, others as hex bytes. */
function hardwareAddress(d: Dissection, at: number): string {
  const buf = d.buf;
  const htype = buf[at + HTYPE], hlen = Math.min(buf[at + HLEN], 16);
  if ((htype === ARPHRD_ETHER || htype === ARPHRD_IEEE802) && hlen === 6) return macAt(buf, at + CHADDR);
  const parts: string[] = [];
  for (let i = 0; i < hlen; i++) parts.push(buf[at + CHADDR + i].toString(16).padStart(2, '0'));
  return parts.join(':');
}

const messageTypeName = (code: number): string => MESSAGE_TYPES[code] ?? 'Unknown Message Type';

export function dhcpSummary(d: Dissection): { protocol: string; info: string } | null {
  if (!d.hasLayer(dhcp.id)) return null;
  const layer = dhcp.layer(d);
  const at = layer.off;
  if (layer.messageType >= 0) {
    const name = messageTypeName(d.buf[layer.messageType]);
    return { protocol: 'DHCP', info: `DHCP ${name.padEnd(8)} - Transaction ID 0x${d.buf.readUInt32BE(at + XID).toString(16)}` };
  }
  if (layer.end - at < CHADDR + 16) return { protocol: 'BOOTP', info: '' };
  const op = d.buf[at + OP];
  let info: string;
  if (op === BOOTREQUEST) {
    const addr = hardwareAddress(d, at);
    const ethernetLike = (d.buf[at + HTYPE] === ARPHRD_ETHER || d.buf[at + HTYPE] === ARPHRD_IEEE802) && d.buf[at + HLEN] === 6;
    // The second form is the resolved name: with MAC name resolution off, the address again.
    info = ethernetLike ? `Boot Request from ${addr} (${nameResolution.mac ? macName(d.buf, at + CHADDR) : addr})` : `Boot Request from ${addr}`;
  } else if (op === BOOTREPLY) info = 'Boot Reply';
  else info = `Unknown BOOTP message type (${op})`;
  return { protocol: 'BOOTP', info };
}

registerAppSummary(dhcpSummary);

const present = (d: Dissection): number => (d.hasLayer(dhcp.id) ? 1 : 0);
const whole = (d: Dissection): number => (d.hasLayer(dhcp.id) && dhcp.layer(d).end - dhcp.layer(d).off >= HEADER_LEN ? 1 : 0);
const at = (d: Dissection): number => dhcp.layer(d).off;
const hasCookie = (d: Dissection): boolean =>
  whole(d) === 1 && dhcp.layer(d).end - at(d) >= VENDOR + COOKIE_LEN && d.buf.readUInt32BE(at(d) + VENDOR) === MAGIC_COOKIE;
defineField({
  name: 'dhcp', label: 'Dynamic Host Configuration Protocol', shortName: 'DHCP/BOOTP', type: FT.None, proto: 'dhcp', count: present,
  // packet-dhcp.c names the message type after the protocol once the options said it.
  text: (d) => (dhcp.layer(d).messageType >= 0 ? `Dynamic Host Configuration Protocol (${messageTypeName(d.buf[dhcp.layer(d).messageType])})` : 'Dynamic Host Configuration Protocol'),
  range: (d, _i, o) => o.set(d.buf, at(d), dhcp.layer(d).end - at(d)),
});
const u8 = (name: string, label: string, off: number, valueNames?: Readonly<Record<number, string>>): void => {
  defineField({
    name, label, type: FT.UInt, valueBits: 8, hexDigits: 2, proto: 'dhcp', count: whole, num: (d) => d.buf[at(d) + off], valueNames,
    range: (d, _i, o) => o.set(d.buf, at(d) + off, 1),
  });
};
u8('dhcp.type', 'Message type', OP, OPS);

// ---- the options: where each one is, and the items of its value ----

const optionCount = (d: Dissection): number => (d.hasLayer(dhcp.id) ? dhcp.layer(d).optionCount : 0);
const optionAt = (d: Dissection, k: number): number => dhcp.layer(d).optionOff[k];
/** Option k's code, and the length its length byte gives (Pad and End have none). */
const codeOf = (d: Dissection, k: number): number => d.buf[optionAt(d, k)];
const hasLength = (d: Dissection, k: number): boolean => codeOf(d, k) !== OPT_PAD && codeOf(d, k) !== OPT_END && dhcp.layer(d).optionLen[k] >= 2;
const valueLen = (d: Dissection, k: number): number => dhcp.layer(d).optionLen[k] - 2;

/**
 * The items of fixed size that the options with `code` carry, in frame order: a single-valued kind
 * has one item when its length is exactly the size, a list one per whole item. `visit` gets the
 * option's index and the item's offset and returns true to stop; the count of items visited is returned.
 */
function eachItem(d: Dissection, code: number, size: number, single: boolean, visit: (k: number, off: number) => boolean): number {
  let n = 0;
  for (let k = 0; k < optionCount(d); k++) {
    if (codeOf(d, k) !== code || !hasLength(d, k)) continue;
    const len = valueLen(d, k);
    const items = single ? (len === size ? 1 : 0) : Math.floor(len / size);
    for (let j = 0; j < items; j++, n++) if (visit(k, optionAt(d, k) + 2 + j * size)) return n;
  }
  return n;
}
const itemCount = (code: number, size: number, single: boolean) => (d: Dissection): number =>
  (d.hasLayer(dhcp.id) ? eachItem(d, code, size, single, () => false) : 0);
/** The offset of item i of the options with `code`. */
function itemAt(d: Dissection, code: number, size: number, single: boolean, i: number): number {
  let found = -1;
  eachItem(d, code, size, single, (_k, off) => (i-- === 0 ? ((found = off), true) : false));
  return found;
}
/** The option (its index) that holds the byte at `off`. */
function optionHolding(d: Dissection, off: number): number {
  const layer = dhcp.layer(d);
  for (let k = 0; k < layer.optionCount; k++) if (off >= layer.optionOff[k] && off < layer.optionOff[k] + layer.optionLen[k]) return k;
  return -1;
}

/** Whether packet-dhcp.c's dissector for option k takes its value (else it shows the value's bytes). */
function valueDissected(d: Dissection, k: number): boolean {
  const code = codeOf(d, k), len = valueLen(d, k);
  if (code === OPT_MESSAGE_TYPE || code === OPT_PARAMETER_REQUEST_LIST || code === OPT_USER_CLASS || code === OPT_STATIC_ROUTE) return len > 0;
  if (code === OPT_CLIENT_ID) return clientIdIsEthernet(d, optionAt(d, k));
  const kind = KIND_OF[code];
  if (kind < 0) return false;
  return KIND_SINGLE[kind] ? len === KIND_SIZE[kind] : len >= KIND_SIZE[kind];
}

/** An RFC 2132 §9.14 client identifier of hardware type 1 and a 6-byte address. */
const clientIdIsEthernet = (d: Dissection, p: number): boolean => d.buf[p + 1] === 7 && d.buf[p + 2] === ARPHRD_ETHER;

/**
 * Client-identifier options of an Ethernet address repeat the header's hardware type and address
 * fields, as packet-dhcp.c shows them: occurrence 0 is the header's, the next ones these options'
 * (offset of the type byte).
 */
function clientIdAt(d: Dissection, i: number): number {
  const layer = dhcp.layer(d);
  for (let k = 0; k < layer.optionCount; k++) {
    const p = layer.optionOff[k];
    if (d.buf[p] === OPT_CLIENT_ID && hasLength(d, k) && clientIdIsEthernet(d, p) && i-- === 0) return p + 2;
  }
  return -1;
}
const clientIds = (d: Dissection): number => {
  let n = 0;
  while (clientIdAt(d, n) >= 0) n++;
  return n;
};
/** Under the option that holds it, or at the top of the tree (-1) for the header's occurrence. */
const optionParentOf = (off: (d: Dissection, i: number) => number) => (d: Dissection, i: number): number => optionHolding(d, off(d, i));

const hwTypeAt = (d: Dissection, i: number): number => (i === 0 ? at(d) + HTYPE : clientIdAt(d, i - 1));
defineField({
  name: 'dhcp.hw.type', label: 'Hardware type', type: FT.Hex, hexDigits: 2, valueBits: 8, proto: 'dhcp', valueNames: HARDWARE_TYPES,
  count: (d) => (whole(d) ? 1 + clientIds(d) : 0), parent: 'dhcp.option.type', parentOf: optionParentOf(hwTypeAt),
  num: (d, i) => d.buf[hwTypeAt(d, i)], range: (d, i, o) => o.set(d.buf, hwTypeAt(d, i), 1),
});
u8('dhcp.hw.len', 'Hardware address length', HLEN);
u8('dhcp.hops', 'Hops', HOPS);
defineField({
  name: 'dhcp.id', label: 'Transaction ID', type: FT.Hex, hexDigits: 8, valueBits: 32, proto: 'dhcp', count: whole,
  num: (d) => d.buf.readUInt32BE(at(d) + XID), range: (d, _i, o) => o.set(d.buf, at(d) + XID, 4),
});
defineField({
  name: 'dhcp.secs', label: 'Seconds elapsed', type: FT.UInt, valueBits: 16, proto: 'dhcp', count: whole,
  num: (d) => d.buf.readUInt16BE(at(d) + SECS), range: (d, _i, o) => o.set(d.buf, at(d) + SECS, 2),
});
const flagsOf = (d: Dissection): number => d.buf.readUInt16BE(at(d) + FLAGS);
const broadcastText = (d: Dissection): string => ((flagsOf(d) & FLAG_BROADCAST) !== 0 ? 'Broadcast' : 'Unicast');
defineField({
  name: 'dhcp.flags', label: 'Bootp flags', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'dhcp', count: whole,
  display: (d) => `0x${flagsOf(d).toString(16).padStart(4, '0')} (${broadcastText(d)})`,
  num: flagsOf, range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
});
defineField({
  name: 'dhcp.flags.bc', label: 'Broadcast flag', type: FT.Bool, proto: 'dhcp', count: whole, parent: 'dhcp.flags',
  mask: FLAG_BROADCAST, bitWidth: 16, unit: flagsOf, display: broadcastText,
  num: (d) => ((flagsOf(d) & FLAG_BROADCAST) !== 0 ? 1 : 0), range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
});
defineField({
  name: 'dhcp.flags.reserved', label: 'Reserved flags', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'dhcp', count: whole,
  parent: 'dhcp.flags', mask: FLAGS_RESERVED, bitWidth: 16, unit: flagsOf,
  num: (d) => flagsOf(d) & FLAGS_RESERVED, range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
});
for (const [name, label, off] of [
  ['dhcp.ip.client', 'Client IP address', CIADDR], ['dhcp.ip.your', 'Your (client) IP address', YIADDR],
  ['dhcp.ip.server', 'Next server IP address', SIADDR], ['dhcp.ip.relay', 'Relay agent IP address', GIADDR],
] as const) {
  defineField({
    name, label, type: FT.IPv4, proto: 'dhcp', count: whole, num: (d) => d.buf.readUInt32BE(at(d) + off),
    range: (d, _i, o) => o.set(d.buf, at(d) + off, 4),
  });
}
const ethernetClient = (d: Dissection): number => {
  if (whole(d) === 0) return 0;
  const h = d.buf[at(d) + HTYPE];
  return (h === ARPHRD_ETHER || h === ARPHRD_IEEE802) && d.buf[at(d) + HLEN] === 6 ? 1 : 0;
};
/** Occurrence i of dhcp.hw.mac_addr: the header's (when its address is Ethernet-like), then the client identifiers'. */
const macOff = (d: Dissection, i: number): number => {
  const j = i + 1 - ethernetClient(d);
  return j === 0 ? at(d) + CHADDR : clientIdAt(d, j - 1) + 1;
};
defineField({
  name: 'dhcp.hw.mac_addr', label: 'Client MAC address', type: FT.Ether, proto: 'dhcp',
  count: (d) => (whole(d) ? ethernetClient(d) + clientIds(d) : 0), parent: 'dhcp.option.type', parentOf: optionParentOf(macOff),
  bytes: (d, i, o) => o.set(d.buf, macOff(d, i), 6), range: (d, i, o) => o.set(d.buf, macOff(d, i), 6),
});
/** A hardware address packet-dhcp.c does not read as a MAC: its hlen bytes (at most the field's 16). */
const hwAddrLen = (d: Dissection): number => Math.min(d.buf[at(d) + HLEN], CHADDR_LEN);
defineField({
  name: 'dhcp.hw.addr', label: 'Client hardware address', type: FT.Bytes, proto: 'dhcp',
  count: (d) => (whole(d) && !ethernetClient(d) && hwAddrLen(d) > 0 ? 1 : 0),
  bytes: (d, _i, o) => o.set(d.buf, at(d) + CHADDR, hwAddrLen(d)), range: (d, _i, o) => o.set(d.buf, at(d) + CHADDR, hwAddrLen(d)),
});
const paddingLen = (d: Dissection): number => CHADDR_LEN - (ethernetClient(d) ? 6 : hwAddrLen(d));
defineField({
  name: 'dhcp.hw.addr_padding', label: 'Client hardware address padding', type: FT.Bytes, proto: 'dhcp',
  count: (d) => (whole(d) && paddingLen(d) > 0 ? 1 : 0),
  bytes: (d, _i, o) => o.set(d.buf, at(d) + CHADDR + CHADDR_LEN - paddingLen(d), paddingLen(d)),
  range: (d, _i, o) => o.set(d.buf, at(d) + CHADDR + CHADDR_LEN - paddingLen(d), paddingLen(d)),
});
/** A NUL-padded name field of the header (sname, file): its text up to the first NUL. */
function headerString(d: Dissection, off: number, max: number): string {
  let n = 0;
  while (n < max && d.buf[at(d) + off + n] !== 0) n++;
  return asciiText(d.buf, at(d) + off, n);
}
for (const [name, label, off, len] of [
  ['dhcp.server', 'Server host name', SNAME, SNAME_LEN], ['dhcp.file', 'Boot file name', FILE, FILE_LEN],
] as const) {
  defineField({
    name, label, type: FT.String, proto: 'dhcp', count: whole, text: (d) => headerString(d, off, len),
    // packet-dhcp.c says so when the field is empty (sname and file overloaded with options aside).
    heading: (d) => (d.buf[at(d) + off] === 0 ? `${label} not given` : `${label}: ${headerString(d, off, len)}`),
    range: (d, _i, o) => o.set(d.buf, at(d) + off, len),
  });
}
defineField({
  name: 'dhcp.cookie', label: 'Magic cookie', type: FT.IPv4, proto: 'dhcp', count: (d) => (hasCookie(d) ? 1 : 0), display: () => 'DHCP',
  num: (d) => d.buf.readUInt32BE(at(d) + VENDOR), range: (d, _i, o) => o.set(d.buf, at(d) + VENDOR, 4),
});
/** RFC 951's vendor area, when no magic cookie starts it: 64 bytes tshark shows as they are. */
const vendorArea = (d: Dissection): boolean => whole(d) === 1 && !hasCookie(d) && dhcp.layer(d).end - at(d) >= VENDOR + BOOTP_VENDOR_LEN;
defineField({
  name: 'dhcp.vendor_specific_options', label: 'Bootp vendor specific options', type: FT.Bytes, proto: 'dhcp',
  count: (d) => (vendorArea(d) ? 1 : 0),
  bytes: (d, _i, o) => o.set(d.buf, at(d) + VENDOR, BOOTP_VENDOR_LEN), range: (d, _i, o) => o.set(d.buf, at(d) + VENDOR, BOOTP_VENDOR_LEN),
});
defineField({
  name: 'dhcp.bootp', label: 'Frame is BOOTP', type: FT.Bool, ftype: 'FT_BOOLEAN', proto: 'dhcp', hidden: true,
  // Said as soon as no cookie follows the header, even of a vendor area cut short.
  count: (d) => (whole(d) === 1 && !hasCookie(d) ? 1 : 0), num: () => 1, range: (d, _i, o) => o.set(d.buf, at(d), 0),
});

/** What follows "Option: (N) Name" in the option's heading: an IPv4 address or the message type, as packet-dhcp.c appends them. */
function optionSuffix(d: Dissection, k: number): string {
  const code = codeOf(d, k), p = optionAt(d, k);
  if (code === OPT_MESSAGE_TYPE && valueLen(d, k) === 1) return ` (${messageTypeName(d.buf[p + 2])})`;
  if (KIND_OF[code] === Kind.Ipv4 && valueLen(d, k) === 4) return ` (${ipv4At(d.buf, p + 2)})`;
  return '';
}
defineField({
  name: 'dhcp.option.type', label: 'Option', type: FT.UInt, valueBits: 8, proto: 'dhcp', count: optionCount,
  // packet-dhcp.c gives the Pad and End options' items the value 0 (End's code is in dhcp.option.end).
  num: (d, k) => (codeOf(d, k) === OPT_END ? 0 : codeOf(d, k)),
  display: (d, k) => `(${codeOf(d, k)}) ${optionName(codeOf(d, k))}${optionSuffix(d, k)}`,
  range: (d, k, o) => o.set(d.buf, optionAt(d, k), Math.max(1, Math.min(dhcp.layer(d).optionLen[k], dhcp.layer(d).end - optionAt(d, k)))),
});
/** The options that carry a length byte (all but Pad and End), by their index among all options. */
function nthWithLength(d: Dissection, i: number): number {
  const layer = dhcp.layer(d);
  for (let k = 0; k < layer.optionCount; k++) if (hasLength(d, k) && i-- === 0) return k;
  return -1;
}
const withLength = (d: Dissection): number => {
  let n = 0;
  for (let k = 0; k < optionCount(d); k++) if (hasLength(d, k)) n++;
  return n;
};
defineField({
  name: 'dhcp.option.length', label: 'Length', type: FT.UInt, valueBits: 8, proto: 'dhcp', parent: 'dhcp.option.type',
  count: (d) => {
    if (!d.hasLayer(dhcp.id)) return 0;
    const layer = dhcp.layer(d);
    let n = 0;
    // An option whose value runs past the datagram still shows its length byte, when there is one.
    for (let k = 0; k < layer.optionCount; k++) if (codeOf(d, k) !== OPT_PAD && codeOf(d, k) !== OPT_END && optionAt(d, k) + 1 < layer.end) n++;
    return n;
  },
  parentOf: nthLengthByte,
  num: (d, i) => d.buf[optionAt(d, nthLengthByte(d, i)) + 1], range: (d, i, o) => o.set(d.buf, optionAt(d, nthLengthByte(d, i)) + 1, 1),
});
function nthLengthByte(d: Dissection, i: number): number {
  const layer = dhcp.layer(d);
  for (let k = 0; k < layer.optionCount; k++) if (codeOf(d, k) !== OPT_PAD && codeOf(d, k) !== OPT_END && optionAt(d, k) + 1 < layer.end && i-- === 0) return k;
  return -1;
}
defineField({
  name: 'dhcp.option.value', label: 'Value', type: FT.Bytes, proto: 'dhcp', parent: 'dhcp.option.type', count: withLength,
  // tshark keeps the value hidden under a dissector that took it, and shows it otherwise.
  hiddenAt: (d, i) => valueDissected(d, nthWithLength(d, i)),
  // A value of no bytes stands where the next option starts: its option says where it belongs.
  parentOf: nthWithLength,
  bytes: (d, i, o) => o.set(d.buf, optionAt(d, nthWithLength(d, i)) + 2, valueLen(d, nthWithLength(d, i))),
  range: (d, i, o) => o.set(d.buf, optionAt(d, nthWithLength(d, i)) + 2, valueLen(d, nthWithLength(d, i))),
});
defineField({
  name: 'dhcp.option.dhcp', label: 'DHCP', type: FT.UInt, valueBits: 8, proto: 'dhcp', valueNames: MESSAGE_TYPES, parent: 'dhcp.option.type',
  count: itemCount(OPT_MESSAGE_TYPE, 1, true),
  num: (d, i) => d.buf[itemAt(d, OPT_MESSAGE_TYPE, 1, true, i)], range: (d, i, o) => o.set(d.buf, itemAt(d, OPT_MESSAGE_TYPE, 1, true, i), 1),
});
// The basic kinds, one field per option code.
for (const [code, key, label, kind] of OPTION_VALUES) {
  const size = KIND_SIZE[kind], single = KIND_SINGLE[kind];
  const off = (d: Dissection, i: number): number => itemAt(d, code, size, single, i);
  const common = { name: `dhcp.option.${key}`, label, proto: 'dhcp', parent: 'dhcp.option.type' } as const;
  if (kind === Kind.String) {
    // FT_STRINGZ of the option's length: one item per option that has bytes.
    const optionOf = (d: Dissection, i: number): number => {
      for (let k = 0; k < optionCount(d); k++) if (codeOf(d, k) === code && hasLength(d, k) && valueLen(d, k) > 0 && i-- === 0) return k;
      return -1;
    };
    const textOf = (d: Dissection, i: number): string => {
      const k = optionOf(d, i), p = optionAt(d, k) + 2, len = valueLen(d, k);
      let n = 0;
      while (n < len && d.buf[p + n] !== 0) n++;
      return asciiText(d.buf, p, n);
    };
    defineField({
      ...common, type: FT.String, ftype: 'FT_STRINGZ',
      count: (d) => {
        let n = 0;
        for (let k = 0; k < optionCount(d); k++) if (codeOf(d, k) === code && hasLength(d, k) && valueLen(d, k) > 0) n++;
        return n;
      },
      text: textOf, range: (d, i, o) => o.set(d.buf, optionAt(d, optionOf(d, i)) + 2, valueLen(d, optionOf(d, i))),
    });
    continue;
  }
  const count = itemCount(code, size, single);
  const range = (d: Dissection, i: number, o: Span): boolean => o.set(d.buf, off(d, i), size);
  if (kind === Kind.Ipv4 || kind === Kind.Ipv4List) {
    defineField({ ...common, type: FT.IPv4, count, num: (d, i) => d.buf.readUInt32BE(off(d, i)), range });
  } else if (kind === Kind.UInt16) {
    defineField({ ...common, type: FT.UInt, valueBits: 16, count, num: (d, i) => d.buf.readUInt16BE(off(d, i)), range });
  } else {
    const signed = kind === Kind.Int32Secs;
    const value = (d: Dissection, i: number): number => (signed ? d.buf.readInt32BE(off(d, i)) : d.buf.readUInt32BE(off(d, i)));
    defineField({
      ...common, type: signed ? FT.Int : FT.UInt, valueBits: 32, count, num: value, range,
      // packet-dhcp.c: "(3600s) 1 hour"; all ones means for ever (RFC 2132 §9.2).
      display: (d, i) => {
        const v = value(d, i);
        if (!signed && v === 0xffffffff) return `(${v}s) infinity`;
        return `(${v}s) ${v < 0 ? '-' + secondsText(-v) : secondsText(v)}`;
      },
    });
  }
}
defineField({
  name: 'dhcp.option.request_list_item', label: 'Parameter Request List Item', type: FT.UInt, valueBits: 8, proto: 'dhcp',
  parent: 'dhcp.option.type', count: itemCount(OPT_PARAMETER_REQUEST_LIST, 1, false),
  num: (d, i) => d.buf[itemAt(d, OPT_PARAMETER_REQUEST_LIST, 1, false, i)],
  display: (d, i) => {
    const code = d.buf[itemAt(d, OPT_PARAMETER_REQUEST_LIST, 1, false, i)];
    return `(${code}) ${optionName(code)}`;
  },
  range: (d, i, o) => o.set(d.buf, itemAt(d, OPT_PARAMETER_REQUEST_LIST, 1, false, i), 1),
});
// RFC 2132 §5.8: pairs of destination and router; a length that is no multiple of 8 leaves the rest unread.
const routeAt = (d: Dissection, i: number): number => itemAt(d, OPT_STATIC_ROUTE, STATIC_ROUTE_LEN, false, i);
const routes = itemCount(OPT_STATIC_ROUTE, STATIC_ROUTE_LEN, false);
for (const [key, label, off] of [['ip', 'Destination IP Address', 0], ['router', 'Destination Router', 4]] as const) {
  defineField({
    name: `dhcp.option.static_route.${key}`, label, type: FT.IPv4, proto: 'dhcp', parent: 'dhcp.option.type', count: routes,
    num: (d, i) => d.buf.readUInt32BE(routeAt(d, i) + off), range: (d, i, o) => o.set(d.buf, routeAt(d, i) + off, 4),
  });
}

/**
 * RFC 3004 user classes: each instance a length byte and that many bytes. `visit` gets the option's
 * index, the instance's offset and its number within the option; instances that run past the option end the walk.
 */
function eachUserClass(d: Dissection, visit: (k: number, off: number, j: number) => boolean): number {
  let n = 0;
  for (let k = 0; k < optionCount(d); k++) {
    if (codeOf(d, k) !== OPT_USER_CLASS || !hasLength(d, k)) continue;
    const end = optionAt(d, k) + 2 + valueLen(d, k);
    for (let p = optionAt(d, k) + 2, j = 0; p < end && p + 1 + d.buf[p] <= end; p += 1 + d.buf[p], j++, n++) if (visit(k, p, j)) return n;
  }
  return n;
}
function userClassAt(d: Dissection, i: number): [number, number] {
  let found: [number, number] = [-1, 0];
  eachUserClass(d, (_k, off, j) => (i-- === 0 ? ((found = [off, j]), true) : false));
  return found;
}
const userClasses = (d: Dissection): number => (d.hasLayer(dhcp.id) ? eachUserClass(d, () => false) : 0);
defineField({
  name: 'dhcp.option.user_class', label: 'Instance of User Class', type: FT.UInt, valueBits: 8, proto: 'dhcp', parent: 'dhcp.option.type',
  count: userClasses, num: (d, i) => userClassAt(d, i)[1], display: (d, i) => `[${userClassAt(d, i)[1]}]`,
  range: (d, i, o) => o.set(d.buf, userClassAt(d, i)[0], 1 + d.buf[userClassAt(d, i)[0]]),
});
defineField({
  name: 'dhcp.option.user_class.length', label: 'User Class Length', type: FT.UInt, valueBits: 8, proto: 'dhcp',
  parent: 'dhcp.option.user_class', count: userClasses,
  num: (d, i) => d.buf[userClassAt(d, i)[0]], range: (d, i, o) => o.set(d.buf, userClassAt(d, i)[0], 1),
});
defineField({
  name: 'dhcp.option.user_class.data', label: 'User Class Data', type: FT.Bytes, proto: 'dhcp', parent: 'dhcp.option.user_class',
  count: (d) => {
    let n = 0;
    if (d.hasLayer(dhcp.id)) eachUserClass(d, (_k, off) => ((n += d.buf[off] > 0 ? 1 : 0), false));
    return n;
  },
  bytes: (d, i, o) => {
    let found = -1;
    eachUserClass(d, (_k, off) => (d.buf[off] > 0 && i-- === 0 ? ((found = off), true) : false));
    return o.set(d.buf, found + 1, d.buf[found]);
  },
  range: (d, i, o) => {
    let found = -1;
    eachUserClass(d, (_k, off) => (d.buf[off] > 0 && i-- === 0 ? ((found = off), true) : false));
    return o.set(d.buf, found + 1, d.buf[found]);
  },
});

/** The options whose length does not fit what packet-dhcp.c reads from them, with its complaint. */
function badLength(d: Dissection, k: number): string {
  if (!hasLength(d, k)) return '';
  const code = codeOf(d, k), len = valueLen(d, k);
  if (code === OPT_STATIC_ROUTE) return len % STATIC_ROUTE_LEN !== 0 ? 'Option length isn\'t a multiple of 8' : '';
  if (SPECIAL.has(code) || code === OPT_CLIENT_ID) return '';
  const kind = KIND_OF[code];
  if (kind < 0 || kind === Kind.String) return '';
  const size = KIND_SIZE[kind];
  return (KIND_SINGLE[kind] ? len !== size : len % size !== 0) ? KIND_BAD_LENGTH[kind] : '';
}
function nthBadLength(d: Dissection, i: number): number {
  for (let k = 0; k < optionCount(d); k++) if (badLength(d, k) !== '' && i-- === 0) return k;
  return -1;
}
defineField({
  name: 'dhcp.bad_length', label: 'Bad length', type: FT.None, proto: 'dhcp', parent: 'dhcp.option.type',
  expert: { severity: 'Error', group: 'Protocol' },
  count: (d) => {
    let n = 0;
    for (let k = 0; k < optionCount(d); k++) if (badLength(d, k) !== '') n++;
    return n;
  },
  text: (d, i) => badLength(d, nthBadLength(d, i)), parentOf: nthBadLength,
  // Where the value starts: after the length, as packet-dhcp.c adds it once the value is read.
  range: (d, i, o) => o.set(d.buf, optionAt(d, nthBadLength(d, i)) + 2, valueLen(d, nthBadLength(d, i))),
});
defineField({
  name: 'dhcp.option.end', label: 'Option End', type: FT.UInt, valueBits: 8, proto: 'dhcp', parent: 'dhcp.option.type',
  count: (d) => {
    const n = optionCount(d);
    return n > 0 && codeOf(d, n - 1) === OPT_END ? 1 : 0;
  },
  num: () => OPT_END, range: (d, _i, o) => o.set(d.buf, optionAt(d, dhcp.layer(d).optionCount - 1), 1),
});
/**
 * Padding: a run of Pad options (under its "Option: (0) Padding"), and what follows the End option
 * to the datagram's end (at the top of the tree).
 */
function paddingAt(d: Dissection, i: number): [number, number, number] {
  const layer = dhcp.layer(d);
  for (let k = 0; k < layer.optionCount; k++) {
    if (codeOf(d, k) === OPT_PAD && i-- === 0) return [layer.optionOff[k], layer.optionLen[k], k];
  }
  const last = layer.optionCount - 1;
  return [layer.optionOff[last] + 1, layer.end - layer.optionOff[last] - 1, -1];
}
defineField({
  name: 'dhcp.option.padding', label: 'Padding', type: FT.Bytes, proto: 'dhcp', parent: 'dhcp.option.type',
  count: (d) => {
    const layer = d.hasLayer(dhcp.id) ? dhcp.layer(d) : null;
    if (layer === null) return 0;
    let n = 0;
    for (let k = 0; k < layer.optionCount; k++) if (codeOf(d, k) === OPT_PAD) n++;
    const last = layer.optionCount - 1;
    if (last >= 0 && codeOf(d, last) === OPT_END && layer.optionOff[last] + 1 < layer.end) n++;
    return n;
  },
  parentOf: (d, i) => paddingAt(d, i)[2],
  bytes: (d, i, o) => o.set(d.buf, paddingAt(d, i)[0], paddingAt(d, i)[1]),
  range: (d, i, o) => o.set(d.buf, paddingAt(d, i)[0], paddingAt(d, i)[1]),
});
