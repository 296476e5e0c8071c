// Geneve (RFC 8926): a tunnel over UDP port 6081 whose 8-byte header (version, options length,
// flags, protocol type, 24-bit VNI) is followed by options and then the inner packet, named by an
// EtherType (0x6558 for Ethernet).

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { etherTypeNext } from '../../decode/link';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

// RFC 8926 §3.4: Ver(2 bits) OptLen(6 bits, in 4-byte words) | O C Rsvd | Protocol Type(2) | VNI(3) Reserved(1)
const VERSION_OPTLEN = 0;
const FLAGS = 1;
const PROTOCOL_TYPE = 2;
const VNI = 4;
const RESERVED = 7;
const HEADER_LEN = 8;
/** IANA's UDP port for Geneve (RFC 8926 §3.3). */
export const GENEVE_PORT = 6081;

class GeneveLayer {
  off = 0;
  optionsLen = 0;
}

export const geneve = registerProtocol({
  name: 'geneve',
  label: 'Geneve',
  udpPorts: [GENEVE_PORT],
  makeLayer: () => new GeneveLayer(),
  decode(d: Dissection, layer: GeneveLayer, off: number, end: number, id: number): number {
    if (end - off < HEADER_LEN) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    const optionsLen = (d.buf[off + VERSION_OPTLEN] & 0x3f) * 4;
    if (HEADER_LEN + optionsLen > end - off) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    layer.off = off;
    layer.optionsLen = optionsLen;
    d.pushLayer(id, off);
    d.nextOff = off + HEADER_LEN + optionsLen;
    return etherTypeNext(d.buf.readUInt16BE(off + PROTOCOL_TYPE));
  },
});

const present = (d: Dissection): number => (d.hasLayer(geneve.id) ? 1 : 0);
const at = (d: Dissection): number => geneve.layer(d).off;
const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;
const flagsByte = (d: Dissection): number => d.buf[at(d) + FLAGS];

// Options (RFC 8926 §3.5): class(2) type(1) reserved(3 bits) length(5 bits, 4-byte words after this 4-byte header) data.
const OPTION_HEADER_LEN = 4;
const OPTION_TYPE_CRITICAL = 0x80;
/** The start of option k of the frame's Geneve header, or -1; options are walked within the header's options length. */
function optionAt(d: Dissection, k: number): number {
  const l = geneve.layer(d);
  const end = l.off + HEADER_LEN + l.optionsLen;
  for (let p = l.off + HEADER_LEN; p + OPTION_HEADER_LEN <= end; p += OPTION_HEADER_LEN + (d.buf[p + 3] & 0x1f) * 4) {
    if (k-- === 0) return p + OPTION_HEADER_LEN + (d.buf[p + 3] & 0x1f) * 4 <= end ? p : -1;
  }
  return -1;
}
function optionCount(d: Dissection): number {
  if (!d.hasLayer(geneve.id)) return 0;
  let n = 0;
  while (optionAt(d, n) >= 0) n++;
  return n;
}
const optionLen = (d: Dissection, k: number): number => OPTION_HEADER_LEN + (d.buf[optionAt(d, k) + 3] & 0x1f) * 4;
const OPTION_CLASS_NAMES: Record<number, string> = { 0x0000: 'Standard' };

defineField({
  name: 'geneve', label: 'Generic Network Virtualization Encapsulation', shortName: 'Geneve', type: FT.None, proto: 'geneve', count: present,
  text: (d) => `Generic Network Virtualization Encapsulation, VNI: ${hex(d.buf.readUIntBE(at(d) + VNI, 3), 6)}`,
  range: (d, _i, o) => o.set(d.buf, at(d), HEADER_LEN + geneve.layer(d).optionsLen),
});
defineField({
  name: 'geneve.version', valueBits: 8, label: 'Version', type: FT.UInt, proto: 'geneve', count: present,
  num: (d) => d.buf[at(d) + VERSION_OPTLEN] >> 6, range: (d, _i, o) => o.set(d.buf, at(d) + VERSION_OPTLEN, 1),
});
// The header's options length and each option's length share this name in Wireshark: occurrence 0
// is the header's, occurrence k + 1 option k's.
defineField({
  name: 'geneve.option.length', valueBits: 8, label: 'Length', type: FT.UInt, proto: 'geneve', parent: 'geneve.option', parentOf: (_d, i) => i - 1,
  count: (d) => (present(d) ? 1 + optionCount(d) : 0),
  num: (d, i) => (i === 0 ? geneve.layer(d).optionsLen : optionLen(d, i - 1)),
  display: (d, i) => `${i === 0 ? geneve.layer(d).optionsLen : optionLen(d, i - 1)} bytes`,
  range: (d, i, o) => (i === 0 ? o.set(d.buf, at(d) + VERSION_OPTLEN, 1) : o.set(d.buf, optionAt(d, i - 1) + 3, 1)),
});
defineField({
  name: 'geneve.flags', valueBits: 8, label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'geneve', count: present,
  num: flagsByte, range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 1),
  display: (d) => {
    const f = flagsByte(d);
    const set = [(f & 0x80) !== 0 ? 'Operations, Administration and Management Frame' : '', (f & 0x40) !== 0 ? 'Critical Options Present' : ''].filter(Boolean);
    return hex(f, 2) + (set.length ? ', ' + set.join(', ') : '');
  },
});
for (const [name, label, mask] of [
  ['geneve.flags.oam', 'Operations, Administration and Management Frame', 0x80],
  ['geneve.flags.critical', 'Critical Options Present', 0x40],
  ['geneve.flags.reserved', 'Reserved', 0x3f],
] as const) {
  defineField({
    name, label, type: FT.Bool, proto: 'geneve', count: present, parent: 'geneve.flags', mask, bitWidth: 8, unit: flagsByte,
    num: (d) => ((flagsByte(d) & mask) !== 0 ? 1 : 0), display: (d) => ((flagsByte(d) & mask) !== 0 ? 'True' : 'False'),
    range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 1),
  });
}
defineField({
  name: 'geneve.proto_type', valueBits: 16, label: 'Protocol Type', type: FT.Hex, hexDigits: 4, proto: 'geneve', count: present,
  num: (d) => d.buf.readUInt16BE(at(d) + PROTOCOL_TYPE), range: (d, _i, o) => o.set(d.buf, at(d) + PROTOCOL_TYPE, 2),
  valueNames: { 0x6558: 'Transparent Ethernet bridging', 0x0800: 'IPv4', 0x86dd: 'IPv6' },
});
defineField({
  name: 'geneve.vni', valueBits: 24, label: 'Virtual Network Identifier (VNI)', type: FT.Hex, hexDigits: 6, proto: 'geneve', count: present,
  num: (d) => d.buf.readUIntBE(at(d) + VNI, 3), range: (d, _i, o) => o.set(d.buf, at(d) + VNI, 3),
  display: (d) => { const v = d.buf.readUIntBE(at(d) + VNI, 3); return `${hex(v, 6)} (${v})`; },
});
defineField({
  name: 'geneve.reserved', valueBits: 8, hidden: true, label: 'Reserved', type: FT.Hex, hexDigits: 2, proto: 'geneve', count: present,
  num: (d) => d.buf[at(d) + RESERVED], range: (d, _i, o) => o.set(d.buf, at(d) + RESERVED, 1),
});
defineField({
  name: 'geneve.options', label: 'Options', type: FT.Bytes, proto: 'geneve', count: (d) => (present(d) && geneve.layer(d).optionsLen > 0 ? 1 : 0),
  bytes: (d, _i, o) => o.set(d.buf, at(d) + HEADER_LEN, geneve.layer(d).optionsLen),
  range: (d, _i, o) => o.set(d.buf, at(d) + HEADER_LEN, geneve.layer(d).optionsLen),
  display: (d) => `(${geneve.layer(d).optionsLen} bytes)`,
});
const optionClass = (d: Dissection, k: number): number => d.buf.readUInt16BE(optionAt(d, k));
const optionType = (d: Dissection, k: number): number => d.buf[optionAt(d, k) + 2];
const typeText = (t: number): string => `${hex(t, 2)}${(t & OPTION_TYPE_CRITICAL) !== 0 ? ' (Critical)' : ''}`;
defineField({
  name: 'geneve.option', label: 'Option', type: FT.Bytes, proto: 'geneve', parent: 'geneve.options', count: optionCount,
  bytes: (d, k, o) => o.set(d.buf, optionAt(d, k), optionLen(d, k)), range: (d, k, o) => o.set(d.buf, optionAt(d, k), optionLen(d, k)),
  heading: (d, k) => `Unknown, Class: ${OPTION_CLASS_NAMES[optionClass(d, k)] ?? 'Unknown'} (${hex(optionClass(d, k), 4)}) Type: ${typeText(optionType(d, k))}`,
});
defineField({
  name: 'geneve.option.class', valueBits: 16, label: 'Class', type: FT.Hex, hexDigits: 4, proto: 'geneve', parent: 'geneve.option', count: optionCount,
  num: optionClass, valueNames: OPTION_CLASS_NAMES, range: (d, k, o) => o.set(d.buf, optionAt(d, k), 2),
});
defineField({
  name: 'geneve.option.type', valueBits: 8, label: 'Type', type: FT.Hex, hexDigits: 2, proto: 'geneve', parent: 'geneve.option', count: optionCount,
  num: optionType, display: (d, k) => typeText(optionType(d, k)), range: (d, k, o) => o.set(d.buf, optionAt(d, k) + 2, 1),
});
defineField({
  name: 'geneve.option.unknown.data', label: 'Unknown Option Data', type: FT.Bytes, proto: 'geneve', parent: 'geneve.option',
  count: (d) => { let n = 0; for (let k = 0; k < optionCount(d); k++) if (optionLen(d, k) > OPTION_HEADER_LEN) n++; return n; },
  parentOf: (d, i) => { for (let k = 0; k < optionCount(d); k++) if (optionLen(d, k) > OPTION_HEADER_LEN && i-- === 0) return k; return -1; },
  bytes: (d, i, o) => {
    for (let k = 0; k < optionCount(d); k++) if (optionLen(d, k) > OPTION_HEADER_LEN && i-- === 0) return o.set(d.buf, optionAt(d, k) + OPTION_HEADER_LEN, optionLen(d, k) - OPTION_HEADER_LEN);
    return false;
  },
});
