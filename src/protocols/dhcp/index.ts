// DHCP and BOOTP (RFC 951, RFC 2131/2132) on udp.port 67 and 68, as tshark 4.0 shows them
// (packet-dhcp.c): Protocol `DHCP` and "DHCP Discover - Transaction ID 0x…" when a DHCP Message Type
// option (53) is present, else `BOOTP` and "Boot Request from …" / "Boot Reply". The fixed header
// and each option's type and length are fields; options' values are not dissected yet.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import { macAt } from '../../fields/format';
import { registerAppSummary } from '../../output/summary';

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
/** Where the vendor area (RFC 1497) or the magic cookie and options begin. */
const VENDOR = 236;
/** RFC 1497: the vendor area without a magic cookie is 64 bytes. */
const BOOTP_VENDOR_LEN = 64;
const HEADER_LEN = VENDOR;
/** RFC 2131 §3: 99.130.83.99 marks DHCP options. */
const MAGIC_COOKIE = 0x63825363;
const COOKIE_LEN = 4;

const BOOTREQUEST = 1;
const BOOTREPLY = 2;
/** RFC 1700 hardware types with Ethernet-like 6-byte addresses (packet-dhcp.c treats both alike). */
const ARPHRD_ETHER = 1;
const ARPHRD_IEEE802 = 6;

const OPT_PAD = 0;
const OPT_END = 255;
const OPT_MESSAGE_TYPE = 53;
const OPT_CLIENT_ID = 61;

/** RFC 2132 §9.6, RFC 4388 §6.1, RFC 6926, RFC 7724: as packet-dhcp.c names them. */
const MESSAGE_TYPES: Readonly<Record<number, string>> = {
  1: 'Discover', 2: 'Offer', 3: 'Request', 4: 'Decline', 5: 'ACK', 6: 'NAK', 7: 'Release', 8: 'Inform',
  9: 'Force Renew', 10: 'Lease query', 11: 'Lease Unassigned', 12: 'Lease Unknown', 13: 'Lease Active',
  14: 'Bulk Lease Query', 15: 'Lease Query Done', 16: 'Active LeaseQuery', 17: 'Lease Query Status', 18: 'TLS',
};

/** Options kept per frame; the walk stops (the frame still shown) beyond this many. */
const MAX_OPTIONS = 512;

class DhcpLayer {
  off = 0;
  end = 0;
  /** Offset of the DHCP Message Type option's value, or -1. */
  messageType = -1;
  optionCount = 0;
  readonly optionOff = new Int32Array(MAX_OPTIONS);
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
      layer.optionOff[layer.optionCount++] = p;
      if (code === OPT_END) break;
      if (code === OPT_PAD) {
        p++;
        continue;
      }
      if (p + 2 > end || p + 2 + d.buf[p + 1] > end) {
        // The option's length runs past the datagram.
        d.markMalformed(Malformed.Application, id);
        break;
      }
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

export function dhcpSummary(d: Dissection): { protocol: string; info: string } | null {
  if (!d.hasLayer(dhcp.id)) return null;
  const layer = dhcp.layer(d);
  const at = layer.off;
  if (layer.messageType >= 0) {
    const code = d.buf[layer.messageType];
    const name = MESSAGE_TYPES[code] ?? 'Unknown Message Type';
    return { protocol: 'DHCP', info: `DHCP ${name.padEnd(8)} - Transaction ID 0x${d.buf.readUInt32BE(at + XID).toString(16)}` };
  }
  if (layer.end - at < CHADDR + 16) return { protocol: 'BOOTP', info: '' };
  const op = d.buf[at + OP];
  let info: string;
  if (op === BOOTREQUEST) {
    const addr = hardwareAddress(d, at);
    const ethernetLike = (d.buf[at + HTYPE] === ARPHRD_ETHER || d.buf[at + HTYPE] === ARPHRD_IEEE802) && d.buf[at + HLEN] === 6;
    // With name resolution off the second form (the resolved name) is the address again.
    info = ethernetLike ? `Boot Request from ${addr} (${addr})` : `Boot Request from ${addr}`;
  } else if (op === BOOTREPLY) info = 'Boot Reply';
  else info = `Unknown BOOTP message type (${op})`;
  return { protocol: 'BOOTP', info };
}

registerAppSummary(dhcpSummary);

const present = (d: Dissection): number => (d.hasLayer(dhcp.id) ? 1 : 0);
const whole = (d: Dissection): number => (d.hasLayer(dhcp.id) && dhcp.layer(d).end - dhcp.layer(d).off >= HEADER_LEN ? 1 : 0);
const at = (d: Dissection): number => dhcp.layer(d).off;
defineField({
  name: 'dhcp', label: 'Dynamic Host Configuration Protocol', type: FT.None, proto: 'dhcp', count: present,
  range: (d, _i, o) => o.set(d.buf, at(d), dhcp.layer(d).end - at(d)),
});
const u8 = (name: string, label: string, off: number, type: FT = FT.UInt): void => {
  defineField({
    name, label, type, valueBits: 8, hexDigits: 2, proto: 'dhcp', count: whole, num: (d) => d.buf[at(d) + off],
    range: (d, _i, o) => o.set(d.buf, at(d) + off, 1),
  });
};
u8('dhcp.type', 'Message type', OP);
/**
 * RFC 2132 §9.14 Client-identifier options of an Ethernet address (type 1 and six bytes) repeat the
 * header's hardware type and address fields, as packet-dhcp.c shows them: occurrence 0 is the
 * header's, the next ones these options' (offset of the type byte).
 */
function clientIdAt(d: Dissection, i: number): number {
  const layer = dhcp.layer(d);
  for (let k = 0; k < layer.optionCount; k++) {
    const p = layer.optionOff[k];
    if (d.buf[p] === OPT_CLIENT_ID && d.buf[p + 1] === 7 && d.buf[p + 2] === ARPHRD_ETHER && i-- === 0) return p + 2;
  }
  return -1;
}
const clientIds = (d: Dissection): number => {
  let n = 0;
  while (clientIdAt(d, n) >= 0) n++;
  return n;
};
defineField({
  name: 'dhcp.hw.type', label: 'Hardware type', type: FT.Hex, hexDigits: 2, valueBits: 8, proto: 'dhcp',
  count: (d) => (whole(d) ? 1 + clientIds(d) : 0),
  num: (d, i) => d.buf[i === 0 ? at(d) + HTYPE : clientIdAt(d, i - 1)],
  range: (d, i, o) => o.set(d.buf, i === 0 ? at(d) + HTYPE : clientIdAt(d, i - 1), 1),
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
defineField({
  name: 'dhcp.flags', label: 'Bootp flags', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'dhcp', count: whole,
  num: (d) => d.buf.readUInt16BE(at(d) + FLAGS), range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
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
const macAt2 = (d: Dissection, i: number): number => (i === 0 ? at(d) + CHADDR : clientIdAt(d, i - 1) + 1);
defineField({
  name: 'dhcp.hw.mac_addr', label: 'Client MAC address', type: FT.Ether, proto: 'dhcp',
  count: (d) => (whole(d) ? ethernetClient(d) + clientIds(d) : 0),
  // Without an Ethernet header address the first occurrence is a client identifier's.
  bytes: (d, i, o) => o.set(d.buf, macAt2(d, i + 1 - ethernetClient(d)), 6),
  range: (d, i, o) => o.set(d.buf, macAt2(d, i + 1 - ethernetClient(d)), 6),
});
defineField({
  name: 'dhcp.cookie', label: 'Magic cookie', type: FT.IPv4, proto: 'dhcp',
  count: (d) => (whole(d) && dhcp.layer(d).end - at(d) >= VENDOR + COOKIE_LEN && d.buf.readUInt32BE(at(d) + VENDOR) === MAGIC_COOKIE ? 1 : 0),
  num: (d) => d.buf.readUInt32BE(at(d) + VENDOR), range: (d, _i, o) => o.set(d.buf, at(d) + VENDOR, 4),
});

const optionAt = (d: Dissection, i: number): number => dhcp.layer(d).optionOff[i];
const optionCount = (d: Dissection): number => (d.hasLayer(dhcp.id) ? dhcp.layer(d).optionCount : 0);
/** The options that carry a length byte (all but Pad and End). */
function nthWithLength(d: Dissection, i: number): number {
  const layer = dhcp.layer(d);
  for (let k = 0; k < layer.optionCount; k++) {
    const c = d.buf[layer.optionOff[k]];
    if (c !== OPT_PAD && c !== OPT_END && i-- === 0) return layer.optionOff[k];
  }
  return -1;
}
defineField({
  name: 'dhcp.option.type', label: 'Option', type: FT.UInt, valueBits: 8, proto: 'dhcp', count: optionCount,
  // packet-dhcp.c gives the End option's item the value 0 (its code is in dhcp.option.end).
  num: (d, i) => (d.buf[optionAt(d, i)] === OPT_END ? 0 : d.buf[optionAt(d, i)]),
  range: (d, i, o) => {
    const p = optionAt(d, i), c = d.buf[p];
    return o.set(d.buf, p, c === OPT_PAD || c === OPT_END ? 1 : Math.min(2 + d.buf[p + 1], dhcp.layer(d).end - p));
  },
});
defineField({
  name: 'dhcp.option.length', label: 'Length', type: FT.UInt, valueBits: 8, proto: 'dhcp',
  count: (d) => {
    if (!d.hasLayer(dhcp.id)) return 0;
    const layer = dhcp.layer(d);
    let n = 0;
    for (let k = 0; k < layer.optionCount; k++) {
      const p = layer.optionOff[k], c = d.buf[p];
      if (c !== OPT_PAD && c !== OPT_END && p + 1 < layer.end) n++;
    }
    return n;
  },
  num: (d, i) => d.buf[nthWithLength(d, i) + 1], range: (d, i, o) => o.set(d.buf, nthWithLength(d, i) + 1, 1),
});
defineField({
  name: 'dhcp.option.end', label: 'Option End', type: FT.UInt, valueBits: 8, proto: 'dhcp',
  count: (d) => {
    const n = optionCount(d);
    return n > 0 && d.buf[optionAt(d, n - 1)] === OPT_END ? 1 : 0;
  },
  num: () => OPT_END, range: (d, _i, o) => o.set(d.buf, optionAt(d, dhcp.layer(d).optionCount - 1), 1),
});
defineField({
  name: 'dhcp.option.dhcp', label: 'DHCP', type: FT.UInt, valueBits: 8, proto: 'dhcp', valueNames: MESSAGE_TYPES,
  count: (d) => (d.hasLayer(dhcp.id) && dhcp.layer(d).messageType >= 0 ? 1 : 0),
  num: (d) => d.buf[dhcp.layer(d).messageType], range: (d, _i, o) => o.set(d.buf, dhcp.layer(d).messageType, 1),
});
