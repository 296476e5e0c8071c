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
  name: 'vxlan.flags', label: 'Flags', type: FT.Hex, hexDigits: 4, proto: 'vxlan', count: present,
  num: (d) => d.buf.readUInt16BE(at(d) + FLAGS), range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
});
defineField({
  name: 'vxlan.gbp', label: 'Group Policy ID', type: FT.UInt, proto: 'vxlan', count: present,
  num: (d) => d.buf.readUInt16BE(at(d) + GROUP_POLICY_ID), range: (d, _i, o) => o.set(d.buf, at(d) + GROUP_POLICY_ID, 2),
});
defineField({
  name: 'vxlan.vni', label: 'VXLAN Network Identifier (VNI)', type: FT.UInt, proto: 'vxlan', count: present,
  num: (d) => d.buf.readUIntBE(at(d) + VNI, 3), range: (d, _i, o) => o.set(d.buf, at(d) + VNI, 3),
});
defineField({
  name: 'vxlan.reserved8', label: 'Reserved', type: FT.UInt, proto: 'vxlan', count: present,
  num: (d) => d.buf[at(d) + RESERVED], range: (d, _i, o) => o.set(d.buf, at(d) + RESERVED, 1),
});
