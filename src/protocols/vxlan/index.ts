// VXLAN (RFC 7348): an Ethernet frame carried in UDP to port 4789 behind an 8-byte header of flags,
// a 24-bit VXLAN Network Identifier and reserved bytes. The inner frame is decoded as any other.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

// RFC 7348 §5: flags(2: I bit 0x0800) group policy / reserved(2) VNI(3) reserved(1)
const FLAGS = 0;
const GROUP_POLICY_ID = 2;
const VNI = 4;
const RESERVED = 7;
const HEADER_LEN = 8;
/** IANA's UDP port for VXLAN (RFC 7348 §5). */
export const VXLAN_PORT = 4789;

class VxlanLayer {
  off = 0;
}

export const vxlan = registerProtocol({
  name: 'vxlan',
  label: 'VXLAN',
  udpPorts: [VXLAN_PORT],
  makeLayer: () => new VxlanLayer(),
  decode(d: Dissection, layer: VxlanLayer, off: number, end: number, id: number): number {
    if (end - off < HEADER_LEN) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    layer.off = off;
    d.pushLayer(id, off);
    d.nextOff = off + HEADER_LEN;
    return Proto.Eth;
  },
});

const present = (d: Dissection): number => (d.hasLayer(vxlan.id) ? 1 : 0);
const at = (d: Dissection): number => vxlan.layer(d).off;
defineField({
  name: 'vxlan', label: 'Virtual eXtensible Local Area Network', type: FT.None, proto: 'vxlan', count: present,
  range: (d, _i, o) => o.set(d.buf, at(d), HEADER_LEN),
});
defineField({
  name: 'vxlan.flags', valueBits: 16, label: 'Flags', type: FT.Hex, hexDigits: 4, proto: 'vxlan', count: present,
  num: (d) => d.buf.readUInt16BE(at(d) + FLAGS), range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
  display: (d) => `0x${d.buf.readUInt16BE(at(d) + FLAGS).toString(16).padStart(4, '0')}${(d.buf[at(d) + FLAGS] & 0x08) !== 0 ? ', VXLAN Network ID (VNI)' : ''}`,
});
// RFC 7348 §5 and the Group Policy extension (draft-smith-vxlan-group-policy): the flag bits of the first 16 bits.
const flagsWord = (d: Dissection): number => d.buf.readUInt16BE(at(d) + FLAGS);
for (const [name, label, mask, names] of [
  ['vxlan.flag_g', 'GBP Extension', 0x8000, ['Not defined', 'Defined']],
  ['vxlan.flag_i', 'VXLAN Network ID (VNI)', 0x0800, ['False', 'True']],
  ['vxlan.flag_d', "Don't Learn", 0x0040, ['False', 'True']],
  ['vxlan.flag_a', 'Policy Applied', 0x0008, ['False', 'True']],
] as const) {
  defineField({
    name, label, type: FT.Bool, proto: 'vxlan', count: present, parent: 'vxlan.flags', mask, bitWidth: 16, unit: flagsWord,
    num: (d) => ((flagsWord(d) & mask) !== 0 ? 1 : 0), display: (d) => names[(flagsWord(d) & mask) !== 0 ? 1 : 0],
    range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
  });
}
const RESERVED_FLAGS = 0x77b7;
defineField({
  name: 'vxlan.flags_reserved', valueBits: 16, label: 'Reserved(R)', type: FT.Hex, hexDigits: 4, proto: 'vxlan', count: present, parent: 'vxlan.flags',
  mask: RESERVED_FLAGS, bitWidth: 16, unit: flagsWord, num: (d) => flagsWord(d) & RESERVED_FLAGS,
  range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
});
defineField({
  name: 'vxlan.gbp', valueBits: 16, label: 'Group Policy ID', type: FT.UInt, proto: 'vxlan', count: present,
  num: (d) => d.buf.readUInt16BE(at(d) + GROUP_POLICY_ID), range: (d, _i, o) => o.set(d.buf, at(d) + GROUP_POLICY_ID, 2),
});
defineField({
  name: 'vxlan.vni', valueBits: 24, label: 'VXLAN Network Identifier (VNI)', type: FT.UInt, proto: 'vxlan', count: present,
  num: (d) => d.buf.readUIntBE(at(d) + VNI, 3), range: (d, _i, o) => o.set(d.buf, at(d) + VNI, 3),
});
defineField({
  name: 'vxlan.reserved8', valueBits: 8, label: 'Reserved', type: FT.UInt, proto: 'vxlan', count: present,
  num: (d) => d.buf[at(d) + RESERVED], range: (d, _i, o) => o.set(d.buf, at(d) + RESERVED, 1),
});
