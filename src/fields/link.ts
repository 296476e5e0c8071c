// Link-layer fields: Ethernet II, 802.1Q, Linux cooked capture.

import { Dissection, Proto } from '../decode/dissection';
import { ETH_DST, ETH_SRC, ETH_TYPE, SLL_PKTTYPE, SLL2_PKTTYPE, SLL_PROTOCOL, SLL2_PROTOCOL, SLL2_IFINDEX } from '../decode/link';
import { defineField, FT, once, Span } from './registry';
import { macAt } from './format';
import { macShown, nameResolution, ouiVendorName } from './names';
import { ETHERTYPE_NAMES } from './ethertype-names';

// Every Ethernet header of the frame is an occurrence, in order: the outer one first, then those a
// tunnel (VXLAN, Geneve, GRE) carries, as tshark lists them.
const countEth = (d: Dissection): number => d.layerCount(Proto.Eth);
const offEth = (d: Dissection, occurrence: number): number => d.layerOffset(Proto.Eth, occurrence);
// IEEE 802: the first octet's two low bits (in the first 24-bit OUI word): LG (locally administered), IG (group).
const LG_BIT = 0x020000;
const IG_BIT = 0x010000;
const LG_NAMES: Record<number, string> = { 0: 'Globally unique address (factory default)', 1: 'Locally administered address (this is NOT the factory default)' };
const IG_NAMES: Record<number, string> = { 0: 'Individual address (unicast)', 1: 'Group address (multicast/broadcast)' };
/** An EtherType as the Ethernet tree shows it: `IPv4 (0x0800)`, `Unknown (0x1234)`. */
const etherTypeShown = (type: number): string => `${ETHERTYPE_NAMES[type] ?? 'Unknown'} (0x${type.toString(16).padStart(4, '0')})`;

/** An address in the Ethernet heading: `CIMSYS_33:44:55 (00:11:22:33:44:55)` with -N m, else the address. */
const macLabel = (buf: Buffer, off: number): string => (nameResolution.mac ? `${macShown(buf, off)} (${macAt(buf, off)})` : macAt(buf, off));

const addrAt = (which: number) => (d: Dissection, i: number, out: Span) => out.set(d.buf, offEth(d, i) + which, 6);
const ouiWord = (which: number) => (d: Dissection, i: number) => d.buf.readUIntBE(offEth(d, i) + which, 3);
// eth.addr, eth.lg and eth.ig have two occurrences per header: the destination's, then the source's (tshark's order).
const pairOff = (d: Dissection, i: number): number => offEth(d, i >> 1) + ((i & 1) === 0 ? ETH_DST : ETH_SRC);
const countPairs = (d: Dissection): number => 2 * countEth(d);
const pairWord = (d: Dissection, i: number): number => d.buf.readUIntBE(pairOff(d, i), 3);

// Each address's OUI (its first three bytes) and the vendor manuf names for it, both hidden, as
// Wireshark's dissect_address_data adds them; the vendor only where manuf knows the OUI.
const ouiAt = (d: Dissection, addr: number): number => d.buf.readUIntBE(addr, 3);
const hex2 = (b: number): string => (b < 16 ? '0' : '') + b.toString(16);
/** tshark 4.0 shows a BASE_OUI value as `00:0c:29 (VMware, Inc.)`, cut at 31 characters. */
const OUI_SHOWN_CHARS = 31;
function ouiShown(d: Dissection, addr: number): string {
  const vendor = ouiVendorName(ouiAt(d, addr));
  const s = `${hex2(d.buf[addr])}:${hex2(d.buf[addr + 1])}:${hex2(d.buf[addr + 2])}`;
  return (vendor === undefined ? s : `${s} (${vendor})`).slice(0, OUI_SHOWN_CHARS);
}
/** The address offset of occurrence i among the `n` addresses `addrOf` lists that manuf names a vendor for; -1 past them. */
function namedVendorAddress(d: Dissection, i: number, n: number, addrOf: (d: Dissection, k: number) => number): number {
  for (let k = 0; k < n; k++) {
    const addr = addrOf(d, k);
    if (ouiVendorName(ouiAt(d, addr)) !== undefined && i-- === 0) return addr;
  }
  return -1;
}
function countNamedVendors(d: Dissection, n: number, addrOf: (d: Dissection, k: number) => number): number {
  let c = 0;
  for (let k = 0; k < n; k++) if (ouiVendorName(ouiAt(d, addrOf(d, k))) !== undefined) c++;
  return c;
}
/** eth.X.oui and eth.X.oui_resolved for the addresses `addrOf` lists (`count` of them) under `parent`. */
function ouiFields(name: string, label: string, parent: string | readonly string[], count: (d: Dissection) => number, addrOf: (d: Dissection, k: number) => number): void {
  defineField({
    name: `${name}.oui`, label: `${label} OUI`, valueBits: 24, oui: true, type: FT.UInt, proto: 'eth', count, parent, hidden: true, generated: true,
    num: (d, i) => ouiAt(d, addrOf(d, i)), display: (d, i) => ouiShown(d, addrOf(d, i)), range: (d, i, out) => out.set(d.buf, addrOf(d, i), 3),
  });
  defineField({
    name: `${name}.oui_resolved`, label: `${label} OUI (resolved)`, type: FT.String, proto: 'eth', parent, hidden: true, generated: true,
    count: (d) => countNamedVendors(d, count(d), addrOf),
    text: (d, i) => ouiVendorName(ouiAt(d, namedVendorAddress(d, i, count(d), addrOf))) ?? '',
    range: (d, i, out) => out.set(d.buf, namedVendorAddress(d, i, count(d), addrOf), 6),
  });
}

defineField({
  name: 'eth', label: 'Ethernet II', longName: 'Ethernet', shortName: 'Ethernet', type: FT.None, proto: 'eth', count: countEth,
  text: (d, i) => `Ethernet II, Src: ${macLabel(d.buf, offEth(d, i) + ETH_SRC)}, Dst: ${macLabel(d.buf, offEth(d, i) + ETH_DST)}`,
  range: (d, i, out) => out.set(d.buf, offEth(d, i), 14),
});
// Declared in the order Wireshark adds them under each address (ties at the same bytes keep it):
// the address's name and OUI, then eth.addr's, then the LG and IG bits each with its hidden eth.* twin.
const SIDES = [['dst', ETH_DST, 'Destination'], ['src', ETH_SRC, 'Source']] as const;
for (const [side, at, label] of SIDES) {
  defineField({
    name: `eth.${side}`, label, type: FT.Ether, proto: 'eth', count: countEth, bytes: addrAt(at), range: addrAt(at),
  });
  // Wireshark's generated name of the address: the vendor's with -N m, else the address.
  defineField({
    name: `eth.${side}_resolved`, label: `${label} (resolved)`, type: FT.String, proto: 'eth', count: countEth, parent: `eth.${side}`,
    hidden: true, generated: true, text: (d, i) => macShown(d.buf, offEth(d, i) + at), range: addrAt(at),
  });
  ouiFields(`eth.${side}`, label, `eth.${side}`, countEth, (d, i) => offEth(d, i) + at);
}
// eth.addr, listed under each of the two addresses
defineField({
  name: 'eth.addr', label: 'Address', type: FT.Ether, proto: 'eth', count: countPairs, parent: ['eth.dst', 'eth.src'],
  bytes: (d, i, out) => out.set(d.buf, pairOff(d, i), 6), range: (d, i, out) => out.set(d.buf, pairOff(d, i), 6),
});
defineField({
  name: 'eth.addr_resolved', label: 'Address (resolved)', type: FT.String, proto: 'eth', count: countPairs, parent: ['eth.dst', 'eth.src'],
  hidden: true, generated: true, text: (d, i) => macShown(d.buf, pairOff(d, i)), range: (d, i, out) => out.set(d.buf, pairOff(d, i), 6),
});
ouiFields('eth.addr', 'Address', ['eth.dst', 'eth.src'], countPairs, pairOff);
for (const [side, at] of SIDES) {
  defineField({
    name: `eth.${side}.lg`, label: 'LG bit', type: FT.UInt, ftype: 'FT_BOOLEAN', proto: 'eth', count: countEth, parent: `eth.${side}`,
    num: (d, i) => (ouiWord(at)(d, i) & LG_BIT) !== 0 ? 1 : 0, mask: LG_BIT, bitWidth: 24, unit: ouiWord(at), valueNames: LG_NAMES,
    display: (d, i) => LG_NAMES[(ouiWord(at)(d, i) & LG_BIT) !== 0 ? 1 : 0], range: (d, i, out) => out.set(d.buf, offEth(d, i) + at, 3),
  });
}
defineField({
  name: 'eth.lg', hidden: true, label: 'LG bit', type: FT.UInt, ftype: 'FT_BOOLEAN', proto: 'eth', count: countPairs, parent: ['eth.dst', 'eth.src'],
  num: (d, i) => (d.buf[pairOff(d, i)] & 0x02) >> 1, mask: LG_BIT, bitWidth: 24, unit: pairWord, valueNames: LG_NAMES,
  display: (d, i) => LG_NAMES[(d.buf[pairOff(d, i)] & 0x02) >> 1], range: (d, i, out) => out.set(d.buf, pairOff(d, i), 3),
});
for (const [side, at] of SIDES) {
  defineField({
    name: `eth.${side}.ig`, label: 'IG bit', type: FT.UInt, ftype: 'FT_BOOLEAN', proto: 'eth', count: countEth, parent: `eth.${side}`,
    num: (d, i) => (ouiWord(at)(d, i) & IG_BIT) !== 0 ? 1 : 0, mask: IG_BIT, bitWidth: 24, unit: ouiWord(at), valueNames: IG_NAMES,
    display: (d, i) => IG_NAMES[(ouiWord(at)(d, i) & IG_BIT) !== 0 ? 1 : 0], range: (d, i, out) => out.set(d.buf, offEth(d, i) + at, 3),
  });
}
defineField({
  name: 'eth.ig', hidden: true, label: 'IG bit', type: FT.UInt, ftype: 'FT_BOOLEAN', proto: 'eth', count: countPairs, parent: ['eth.dst', 'eth.src'],
  num: (d, i) => d.buf[pairOff(d, i)] & 0x01, mask: IG_BIT, bitWidth: 24, unit: pairWord, valueNames: IG_NAMES,
  display: (d, i) => IG_NAMES[d.buf[pairOff(d, i)] & 0x01], range: (d, i, out) => out.set(d.buf, pairOff(d, i), 3),
});
defineField({
  name: 'eth.type', valueBits: 16, label: 'Type', type: FT.Hex, hexDigits: 4, proto: 'eth', count: countEth, valueNames: ETHERTYPE_NAMES,
  num: (d, i) => d.buf.readUInt16BE(offEth(d, i) + ETH_TYPE), range: (d, i, out) => out.set(d.buf, offEth(d, i) + ETH_TYPE, 2),
  display: (d, i) => etherTypeShown(d.buf.readUInt16BE(offEth(d, i) + ETH_TYPE)),
});

const vlanCount = (d: Dissection): number => d.vlanCount;
defineField({ name: 'vlan', label: '802.1Q Virtual LAN', type: FT.None, proto: 'vlan', count: vlanCount, text: (d, i) => `802.1Q Virtual LAN, ID: ${d.buf.readUInt16BE(d.vlanOff[i]) & 0x0fff}` });
defineField({ name: 'vlan.id', valueBits: 16, label: 'ID', type: FT.UInt, proto: 'vlan', count: vlanCount, num: (d, i) => d.buf.readUInt16BE(d.vlanOff[i]) & 0x0fff, range: (d, i, out) => out.set(d.buf, d.vlanOff[i], 2) });
defineField({ name: 'vlan.priority', valueBits: 16, label: 'Priority', type: FT.UInt, proto: 'vlan', count: vlanCount, num: (d, i) => d.buf[d.vlanOff[i]] >> 5 });
defineField({
  name: 'vlan.etype', valueBits: 16, label: 'Type', type: FT.Hex, hexDigits: 4, proto: 'vlan', count: vlanCount, valueNames: ETHERTYPE_NAMES,
  num: (d, i) => d.buf.readUInt16BE(d.vlanOff[i] + 2), display: (d, i) => etherTypeShown(d.buf.readUInt16BE(d.vlanOff[i] + 2)),
});

const hasSll = once((d) => d.sllOff >= 0);
defineField({ name: 'sll', label: 'Linux cooked capture', longName: 'Linux cooked-mode capture', type: FT.None, proto: 'sll', count: hasSll, text: (d) => `Linux cooked capture v${d.sllVersion}` });
defineField({
  name: 'sll.pkttype', valueBits: 16, label: 'Packet type', type: FT.UInt, proto: 'sll', count: hasSll,
  num: (d) => (d.sllVersion === 1 ? d.buf.readUInt16BE(d.sllOff + SLL_PKTTYPE) : d.buf[d.sllOff + SLL2_PKTTYPE]),
});
defineField({
  name: 'sll.etype', valueBits: 16, label: 'Protocol', type: FT.Hex, hexDigits: 4, proto: 'sll', count: hasSll,
  num: (d) => d.buf.readUInt16BE(d.sllOff + (d.sllVersion === 1 ? SLL_PROTOCOL : SLL2_PROTOCOL)),
});
defineField({
  name: 'sll.ifindex', valueBits: 32, label: 'Interface index', type: FT.UInt, proto: 'sll', count: once((d) => d.sllVersion === 2),
  num: (d) => d.buf.readUInt32BE(d.sllOff + SLL2_IFINDEX),
});


// BSD loopback (LINKTYPE_NULL, LINKTYPE_LOOP): the 4-byte address family, in the capturing host's
// byte order for NULL (guessed as libpcap and Wireshark guess it: a value in the upper half means
// the other order) and big-endian for LOOP.
const LINKTYPE_LOOP = 108;
const hasNull = once((d) => d.nullOff >= 0);
const nullFamily = (d: Dissection): number => {
  if (d.linkType === LINKTYPE_LOOP) return d.buf.readUInt32BE(d.nullOff);
  const le = d.buf.readUInt32LE(d.nullOff);
  return (le & 0xffff0000) !== 0 ? d.buf.readUInt32BE(d.nullOff) : le;
};
const FAMILY_NAMES: Record<number, string> = { 2: 'IP', 7: 'OSI', 10: 'IPv6', 23: 'IPX', 24: 'IPv6', 28: 'IPv6', 30: 'IPv6' };
// A raw IP link type's frame is one layer with no header of its own, spanning the whole frame.
defineField({ name: 'raw', label: 'Raw packet data', shortName: 'Raw', type: FT.None, proto: 'raw', count: (d) => d.layerCount(Proto.Raw), range: (d, _i, out) => out.set(d.buf, d.frameOff, d.capLen) });
defineField({ name: 'null', label: 'Null/Loopback', shortName: 'Null', type: FT.None, proto: 'null', count: hasNull, range: (d, _i, out) => out.set(d.buf, d.nullOff, 4) });
defineField({
  name: 'null.family', valueBits: 32, label: 'Family', type: FT.UInt, proto: 'null', count: hasNull, num: nullFamily,
  display: (d) => `${FAMILY_NAMES[nullFamily(d)] ?? 'Unknown'} (${nullFamily(d)})`, range: (d, _i, out) => out.set(d.buf, d.nullOff, 4),
});
