// frame.* fields: capture metadata that every frame has.

import { Dissection, PROTO_NAMES, MALFORMED_NAMES } from '../decode/dissection';
import { handsOnByEtherType } from '../decode/protocol-registry';
import { defineField, FT, once } from './registry';
import { secNsecToString } from './format';
import { interfaceName } from '../capture/interface-names';

const always = (): number => 1;

defineField({
  name: 'frame', label: 'Frame', type: FT.None, proto: 'frame', count: always,
  text: (d) => `Frame ${d.number}: ${d.origLen} bytes on wire (${d.origLen * 8} bits), ${d.capLen} bytes captured (${d.capLen * 8} bits)`,
  // Every captured byte: what `frame[0:6]` and `frame contains "x"` look at, and what the bytes pane marks.
  range: (d, _i, out) => out.set(d.buf, d.frameOff, d.capLen),
});
defineField({ name: 'frame.number', valueBits: 32, label: 'Frame Number', type: FT.UInt, proto: 'frame', count: always, num: (d) => d.number });
defineField({
  name: 'frame.time_epoch', label: 'Epoch Time', type: FT.AbsTime, ftype: 'FT_RELATIVE_TIME', proto: 'frame', count: always,
  num: (d) => d.tsSec + d.tsNsec / 1e9,
  text: (d) => secNsecToString(d.tsSec, d.tsNsec),
});
defineField({
  name: 'frame.time_relative', label: 'Time since reference or first frame', type: FT.RelTime, proto: 'frame', count: always,
  num: (d) => (d.tsSec - d.firstTsSec) + (d.tsNsec - d.firstTsNsec) / 1e9,
  text: (d) => secNsecToString(d.tsSec - d.firstTsSec, d.tsNsec - d.firstTsNsec),
});
defineField({
  name: 'frame.time_delta', label: 'Time delta from previous captured frame', type: FT.RelTime, proto: 'frame', count: always,
  num: (d) => (d.tsSec - d.prevTsSec) + (d.tsNsec - d.prevTsNsec) / 1e9,
  text: (d) => secNsecToString(d.tsSec - d.prevTsSec, d.tsNsec - d.prevTsNsec),
});
defineField({ name: 'frame.len', valueBits: 32, label: 'Frame Length', type: FT.UInt, proto: 'frame', count: always, num: (d) => d.origLen });
defineField({ name: 'frame.cap_len', valueBits: 32, label: 'Capture Length', type: FT.UInt, proto: 'frame', count: always, num: (d) => d.capLen });
defineField({ name: 'frame.encap_type', valueBits: 16, label: 'Encapsulation type', type: FT.Int, proto: 'frame', count: always, num: (d) => d.linkType });
defineField({ name: 'frame.interface_id', valueBits: 32, label: 'Interface id', type: FT.UInt, proto: 'frame', count: always, num: (d) => d.ifIndex });
defineField({
  name: 'frame.interface_name', label: 'Interface name', type: FT.String, proto: 'frame',
  count: once((d) => interfaceName(d.ifIndex) !== undefined),
  text: (d) => interfaceName(d.ifIndex) ?? '',
});
defineField({
  name: 'frame.protocols', label: 'Protocols in frame', type: FT.String, proto: 'frame', count: always,
  text: (d) => protocolsInFrame(d),
});
defineField({
  name: '_ws.malformed', label: 'Malformed Packet', type: FT.None, ftype: 'FT_PROTOCOL', proto: 'frame',
  count: once((d) => d.malformed !== 0),
  text: (d) => `Malformed Packet (${MALFORMED_NAMES[d.malformed]}: ${PROTO_NAMES[d.malformedProto]})`,
});

/** The layer chain as Wireshark's frame.protocols spells it (`eth:ethertype:ip:tcp`). */
export function protocolsInFrame(d: Dissection): string {
  let s = '';
  for (let i = 0; i < d.stackLen; i++) {
    const name = PROTO_NAMES[d.stack[i]];
    s += (s ? ':' : '') + name;
    if (name === 'eth' || name === 'sll' || name === 'vlan' || handsOnByEtherType(d.stack[i])) s += ':ethertype';
  }
  return s;
}

// Expert items in the protocol tree (src/fields/tree.ts wraps each finding in one).
defineField({ name: '_ws.expert', label: 'Expert Info', type: FT.None, ftype: 'FT_PROTOCOL', proto: 'frame', count: () => 0 });
defineField({ name: '_ws.expert.severity', label: 'Severity level', type: FT.None, ftype: 'FT_UINT32', proto: 'frame', count: () => 0 });
defineField({ name: '_ws.expert.group', label: 'Group', type: FT.None, ftype: 'FT_UINT32', proto: 'frame', count: () => 0 });
