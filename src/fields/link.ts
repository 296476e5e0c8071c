// Link-layer fields: Ethernet II, 802.1Q, Linux cooked capture.

import { Dissection } from '../decode/dissection';
import { ETH_DST, ETH_SRC, ETH_TYPE, SLL_PKTTYPE, SLL2_PKTTYPE, SLL_PROTOCOL, SLL2_PROTOCOL, SLL2_IFINDEX } from '../decode/link';
import { defineField, FT, once } from './registry';
import { macAt } from './format';

const hasEth = once((d) => d.ethOff >= 0);

defineField({
  name: 'eth', label: 'Ethernet II', type: FT.None, proto: 'eth', count: hasEth,
  text: (d) => `Ethernet II, Src: ${macAt(d.buf, d.ethOff + ETH_SRC)}, Dst: ${macAt(d.buf, d.ethOff + ETH_DST)}`,
  range: (d, _i, out) => out.set(d.buf, d.ethOff, 14),
});
defineField({
  name: 'eth.dst', label: 'Destination', type: FT.Ether, proto: 'eth', count: hasEth,
  bytes: (d, _i, out) => out.set(d.buf, d.ethOff + ETH_DST, 6), range: (d, _i, out) => out.set(d.buf, d.ethOff + ETH_DST, 6),
});
defineField({
  name: 'eth.src', label: 'Source', type: FT.Ether, proto: 'eth', count: hasEth,
  bytes: (d, _i, out) => out.set(d.buf, d.ethOff + ETH_SRC, 6), range: (d, _i, out) => out.set(d.buf, d.ethOff + ETH_SRC, 6),
});
defineField({
  name: 'eth.addr', hidden: true, label: 'Address', type: FT.Ether, proto: 'eth', count: (d) => (d.ethOff >= 0 ? 2 : 0),
  bytes: (d, i, out) => out.set(d.buf, d.ethOff + (i === 0 ? ETH_SRC : ETH_DST), 6),
});
defineField({
  name: 'eth.type', label: 'Type', type: FT.Hex, hexDigits: 4, proto: 'eth', count: hasEth,
  num: (d) => d.buf.readUInt16BE(d.ethOff + ETH_TYPE), range: (d, _i, out) => out.set(d.buf, d.ethOff + ETH_TYPE, 2),
});

const vlanCount = (d: Dissection): number => d.vlanCount;
defineField({ name: 'vlan', label: '802.1Q Virtual LAN', type: FT.None, proto: 'vlan', count: vlanCount, text: (d, i) => `802.1Q Virtual LAN, ID: ${d.buf.readUInt16BE(d.vlanOff[i]) & 0x0fff}` });
defineField({ name: 'vlan.id', label: 'ID', type: FT.UInt, proto: 'vlan', count: vlanCount, num: (d, i) => d.buf.readUInt16BE(d.vlanOff[i]) & 0x0fff, range: (d, i, out) => out.set(d.buf, d.vlanOff[i], 2) });
defineField({ name: 'vlan.priority', label: 'Priority', type: FT.UInt, proto: 'vlan', count: vlanCount, num: (d, i) => d.buf[d.vlanOff[i]] >> 5 });
defineField({ name: 'vlan.etype', label: 'Type', type: FT.Hex, hexDigits: 4, proto: 'vlan', count: vlanCount, num: (d, i) => d.buf.readUInt16BE(d.vlanOff[i] + 2) });

const hasSll = once((d) => d.sllOff >= 0);
defineField({ name: 'sll', label: 'Linux cooked capture', type: FT.None, proto: 'sll', count: hasSll, text: (d) => `Linux cooked capture v${d.sllVersion}` });
defineField({
  name: 'sll.pkttype', label: 'Packet type', type: FT.UInt, proto: 'sll', count: hasSll,
  num: (d) => (d.sllVersion === 1 ? d.buf.readUInt16BE(d.sllOff + SLL_PKTTYPE) : d.buf[d.sllOff + SLL2_PKTTYPE]),
});
defineField({
  name: 'sll.etype', label: 'Protocol', type: FT.Hex, hexDigits: 4, proto: 'sll', count: hasSll,
  num: (d) => d.buf.readUInt16BE(d.sllOff + (d.sllVersion === 1 ? SLL_PROTOCOL : SLL2_PROTOCOL)),
});
defineField({
  name: 'sll.ifindex', label: 'Interface index', type: FT.UInt, proto: 'sll', count: once((d) => d.sllVersion === 2),
  num: (d) => d.buf.readUInt32BE(d.sllOff + SLL2_IFINDEX),
});

