// ARP (RFC 826), with RFC 5227's probes and announcements: the message, its Info column as tshark
// 4.0 writes it, its fields and tree. ARP keeps its fixed id (Proto.Arp): the link layers hand
// EtherType 0x0806 to it directly, and the row colours name it.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';
import { ipv4At, macAt } from '../../fields/format';

// RFC 826: hardware type(2) protocol type(2) hardware size(1) protocol size(1) opcode(2), then
// sender hardware and protocol addresses and target hardware and protocol addresses.
const HW_TYPE = 0;
const PROTO_TYPE = 2;
const HW_SIZE = 4;
const PROTO_SIZE = 5;
const OPCODE = 6;
const ADDRESSES = 8;
const FIXED_LEN = 8;
const OP_REQUEST = 1;
const OP_REPLY = 2;
const ETHER_ADDR_LEN = 6;
const ETHERTYPE_IPV4 = 0x0800;
const IPV4_ADDR_LEN = 4;

class ArpLayer {
  off = 0;
  /** End of the message: its fixed part and the four addresses (what follows is padding). */
  end = 0;
}

export const arp = registerProtocol({
  name: 'arp',
  label: 'ARP',
  fixedId: Proto.Arp,
  makeLayer: () => new ArpLayer(),
  decode(d: Dissection, layer: ArpLayer, off: number, end: number, id: number): number {
    d.pushLayer(id, off);
    layer.off = off;
    layer.end = off;
    if (end - off < FIXED_LEN) {
      d.markMalformed(Malformed.Network, id);
      return Proto.None;
    }
    const len = FIXED_LEN + 2 * (d.buf[off + HW_SIZE] + d.buf[off + PROTO_SIZE]);
    if (len > end - off) {
      d.markMalformed(Malformed.Network, id);
      return Proto.None;
    }
    layer.end = off + len;
    return Proto.None;
  },
  info: (d, layer) => arpInfo(d, layer),
});

const whole = (d: Dissection): boolean => d.hasLayer(Proto.Arp) && arp.layer(d).end > arp.layer(d).off;
const hwSize = (d: Dissection): number => d.buf[arp.layer(d).off + HW_SIZE];
const protoSize = (d: Dissection): number => d.buf[arp.layer(d).off + PROTO_SIZE];
const senderHw = (d: Dissection): number => arp.layer(d).off + ADDRESSES;
const senderProto = (d: Dissection): number => senderHw(d) + hwSize(d);
const targetHw = (d: Dissection): number => senderProto(d) + protoSize(d);
const targetProto = (d: Dissection): number => targetHw(d) + hwSize(d);
const isIpv4 = (d: Dissection): boolean => d.buf.readUInt16BE(arp.layer(d).off + PROTO_TYPE) === ETHERTYPE_IPV4 && protoSize(d) === IPV4_ADDR_LEN;
const opcode = (d: Dissection): number => d.buf.readUInt16BE(arp.layer(d).off + OPCODE);

function allZero(buf: Buffer, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[off + i] !== 0) return false;
  return true;
}

/** Sender and target protocol addresses are the same: a host telling of itself (Wireshark's "gratuitous"). */
function gratuitous(d: Dissection): boolean {
  if (!whole(d) || (opcode(d) !== OP_REQUEST && opcode(d) !== OP_REPLY)) return false;
  return d.buf.compare(d.buf, targetProto(d), targetProto(d) + protoSize(d), senderProto(d), senderProto(d) + protoSize(d)) === 0;
}
/** RFC 5227 §2.1.1: a request with an all-zero sender address, asking whether the target is taken. */
function probe(d: Dissection): boolean {
  return whole(d) && opcode(d) === OP_REQUEST && allZero(d.buf, senderProto(d), protoSize(d)) && allZero(d.buf, targetHw(d), hwSize(d));
}
/** RFC 5227 §2.3: a gratuitous request with an all-zero target hardware address, claiming an address. */
function announcement(d: Dissection): boolean {
  return gratuitous(d) && opcode(d) === OP_REQUEST && allZero(d.buf, targetHw(d), hwSize(d));
}

function protoAddr(d: Dissection, off: number): string {
  return isIpv4(d) ? ipv4At(d.buf, off) : d.buf.toString('hex', off, off + protoSize(d));
}
function hwAddr(d: Dissection, off: number): string {
  return hwSize(d) === ETHER_ADDR_LEN ? macAt(d.buf, off) : d.buf.toString('hex', off, off + hwSize(d));
}

function arpInfo(d: Dissection, layer: ArpLayer): string | null {
  if (layer.end <= layer.off) return '';
  const op = opcode(d);
  if (op === OP_REQUEST) {
    if (probe(d)) return `Who has ${protoAddr(d, targetProto(d))}? (ARP Probe)`;
    if (announcement(d)) return `ARP Announcement for ${protoAddr(d, senderProto(d))}`;
    if (gratuitous(d)) return `Gratuitous ARP for ${protoAddr(d, senderProto(d))} (Request)`;
    return `Who has ${protoAddr(d, targetProto(d))}? Tell ${protoAddr(d, senderProto(d))}`;
  }
  if (op === OP_REPLY) {
    if (gratuitous(d)) return `Gratuitous ARP for ${protoAddr(d, senderProto(d))} (Reply)`;
    return `${protoAddr(d, senderProto(d))} is at ${hwAddr(d, senderHw(d))}`;
  }
  return `Unknown ARP opcode 0x${op.toString(16).padStart(4, '0')}`;
}

// ---- fields ----
const HW_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Ethernet', 6: 'IEEE 802', 7: 'ARCNET', 15: 'Frame Relay', 16: 'ATM', 18: 'Fibre Channel', 20: 'Serial Line', 24: 'IEEE 1394.1995',
  32: 'InfiniBand',
};
const OPCODE_NAMES: Readonly<Record<number, string>> = {
  1: 'request', 2: 'reply', 3: 'reverse request', 4: 'reverse reply', 5: 'DRARP-Request', 6: 'DRARP-Reply', 7: 'DRARP-Error',
  8: 'Inverse ARP request', 9: 'Inverse ARP reply', 10: 'ARP-NAK',
};
const at = (pos: number, len: number) => (d: Dissection, _i: number, o: Span): true => o.set(d.buf, arp.layer(d).off + pos, len);
const headed = (d: Dissection): number => (d.hasLayer(Proto.Arp) && d.frameEnd - arp.layer(d).off >= FIXED_LEN ? 1 : 0);

defineField({
  name: 'arp', label: 'Address Resolution Protocol', shortName: 'ARP/RARP', type: FT.None, proto: 'arp', count: (d) => (d.hasLayer(Proto.Arp) ? 1 : 0),
  heading: (d) => {
    if (!whole(d)) return 'Address Resolution Protocol';
    const op = OPCODE_NAMES[opcode(d)] ?? 'opcode';
    return `Address Resolution Protocol (${op}${probe(d) ? '/ARP Probe' : announcement(d) ? '/ARP Announcement' : gratuitous(d) ? '/gratuitous ARP' : ''})`;
  },
  range: (d, _i, o) => o.set(d.buf, arp.layer(d).off, Math.max(arp.layer(d).end, Math.min(d.frameEnd, arp.layer(d).off + FIXED_LEN)) - arp.layer(d).off),
});
defineField({
  name: 'arp.hw.type', label: 'Hardware type', type: FT.UInt, valueBits: 16, proto: 'arp', count: headed, valueNames: HW_TYPE_NAMES,
  num: (d) => d.buf.readUInt16BE(arp.layer(d).off + HW_TYPE), range: at(HW_TYPE, 2),
  display: (d) => { const v = d.buf.readUInt16BE(arp.layer(d).off + HW_TYPE); return `${HW_TYPE_NAMES[v] ?? 'Unknown'} (${v})`; },
});
defineField({
  name: 'arp.proto.type', label: 'Protocol type', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'arp', count: headed,
  num: (d) => d.buf.readUInt16BE(arp.layer(d).off + PROTO_TYPE), range: at(PROTO_TYPE, 2),
  display: (d) => { const v = d.buf.readUInt16BE(arp.layer(d).off + PROTO_TYPE); return `${v === ETHERTYPE_IPV4 ? 'IPv4' : 'Unknown'} (0x${v.toString(16).padStart(4, '0')})`; },
});
defineField({ name: 'arp.hw.size', label: 'Hardware size', type: FT.UInt, valueBits: 8, proto: 'arp', count: headed, num: hwSize, range: at(HW_SIZE, 1) });
defineField({ name: 'arp.proto.size', label: 'Protocol size', type: FT.UInt, valueBits: 8, proto: 'arp', count: headed, num: protoSize, range: at(PROTO_SIZE, 1) });
defineField({
  name: 'arp.opcode', label: 'Opcode', type: FT.UInt, valueBits: 16, proto: 'arp', count: headed, num: opcode, range: at(OPCODE, 2),
  display: (d) => `${OPCODE_NAMES[opcode(d)] ?? 'Unknown'} (${opcode(d)})`,
});
for (const [name, label, has] of [
  ['arp.isgratuitous', 'Is gratuitous', (d: Dissection) => gratuitous(d) && !announcement(d)],
  ['arp.isprobe', 'Is probe', probe],
  ['arp.isannouncement', 'Is announcement', announcement],
] as const) {
  defineField({
    name, label, type: FT.Bool, proto: 'arp', generated: true, count: (d) => (has(d) ? 1 : 0), num: () => 1, display: () => 'True',
    range: (d, _i, o) => o.set(d.buf, arp.layer(d).off, 0),
  });
}
// The addresses: an Ethernet address when the hardware size is 6, IPv4 when the protocol is; raw bytes otherwise.
const ether = (d: Dissection): number => (whole(d) && hwSize(d) === ETHER_ADDR_LEN ? 1 : 0);
const otherHw = (d: Dissection): number => (whole(d) && hwSize(d) !== ETHER_ADDR_LEN && hwSize(d) > 0 ? 1 : 0);
const ipv4 = (d: Dissection): number => (whole(d) && isIpv4(d) ? 1 : 0);
const otherProto = (d: Dissection): number => (whole(d) && !isIpv4(d) && protoSize(d) > 0 ? 1 : 0);
for (const [side, who, hwOff, protoOff] of [['src', 'Sender', senderHw, senderProto], ['dst', 'Target', targetHw, targetProto]] as const) {
  const hwSpan = (d: Dissection, _i: number, o: Span): true => o.set(d.buf, hwOff(d), hwSize(d));
  const protoSpan = (d: Dissection, _i: number, o: Span): true => o.set(d.buf, protoOff(d), protoSize(d));
  defineField({ name: `arp.${side}.hw_mac`, label: `${who} MAC address`, type: FT.Ether, proto: 'arp', count: ether, bytes: hwSpan, range: hwSpan });
  defineField({ name: `arp.${side}.hw`, label: `${who} hardware address`, type: FT.Bytes, proto: 'arp', count: otherHw, bytes: hwSpan, range: hwSpan });
  defineField({
    name: `arp.${side}.proto_ipv4`, label: `${who} IP address`, type: FT.IPv4, proto: 'arp', count: ipv4,
    num: (d) => d.buf.readUInt32BE(protoOff(d)), range: protoSpan,
  });
  defineField({ name: `arp.${side}.proto`, label: `${who} protocol address`, type: FT.Bytes, proto: 'arp', count: otherProto, bytes: protoSpan, range: protoSpan });
}
