// IEEE 802.1ad (Q-in-Q): the service tag, EtherType 0x88a8, in front of a customer's 802.1Q tag or
// its payload. The same four bytes as an 802.1Q tag (priority, drop eligible, 12-bit ID, then the
// EtherType of what follows), but Wireshark names it a protocol of its own: `vlan` does not match it.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { etherTypeNext, ETHERTYPE_QINQ } from '../../decode/link';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

// IEEE 802.1Q-2018 §9.6: TCI = PCP(3) DEI(1) VID(12), then the EtherType
const TCI = 0;
const TYPE = 2;
const TAG_LEN = 4;

class ServiceTag {
  off = 0;
}

export const ieee8021ad = registerProtocol({
  name: 'ieee8021ad',
  label: '802.1ad',
  etherTypes: [ETHERTYPE_QINQ],
  handsOnByEtherType: true,
  makeLayer: () => new ServiceTag(),
  decode(d: Dissection, tag: ServiceTag, off: number, end: number, id: number): number {
    if (end - off < TAG_LEN) {
      d.markMalformed(Malformed.Link, id);
      return Proto.None;
    }
    tag.off = off;
    d.pushLayer(id, off);
    const type = d.buf.readUInt16BE(off + TYPE);
    d.etherType = type;
    d.nextOff = off + TAG_LEN;
    return type <= 1500 ? Proto.None : etherTypeNext(type);
  },
});

const present = (d: Dissection): number => (d.hasLayer(ieee8021ad.id) ? 1 : 0);
const at = (d: Dissection): number => ieee8021ad.layer(d).off;
const tci = (d: Dissection): number => d.buf.readUInt16BE(at(d) + TCI);
const tciRange = (d: Dissection, _i: number, o: { set(b: Buffer, off: number, len: number): true }) => o.set(d.buf, at(d) + TCI, 2);
defineField({
  name: 'ieee8021ad', label: 'IEEE 802.1ad', shortName: 'IEEE 802.1AD', type: FT.None, proto: 'ieee8021ad', count: present,
  text: (d) => `IEEE 802.1ad, ID: ${tci(d) & 0x0fff}`, range: (d, _i, o) => o.set(d.buf, at(d), TAG_LEN),
});
defineField({ name: 'ieee8021ad.priority', valueBits: 16, label: 'Priority', type: FT.UInt, proto: 'ieee8021ad', count: present, num: (d) => tci(d) >> 13, mask: 0xe000, bitWidth: 16, unit: tci, range: tciRange });
defineField({ name: 'ieee8021ad.dei', valueBits: 16, label: 'DEI', type: FT.UInt, proto: 'ieee8021ad', count: present, num: (d) => (tci(d) >> 12) & 1, mask: 0x1000, bitWidth: 16, unit: tci, range: tciRange });
defineField({ name: 'ieee8021ad.id', valueBits: 16, label: 'ID', type: FT.UInt, proto: 'ieee8021ad', count: present, num: (d) => tci(d) & 0x0fff, mask: 0x0fff, bitWidth: 16, unit: tci, range: tciRange });
