// frame.* fields: capture metadata that every frame has.

import { Dissection, PROTO_NAMES } from '../decode/dissection';
import { protocolShortName } from './glossary';
import { handsOnByEtherType, unclaimedEtherType } from '../decode/protocol-registry';
import { defineField, FT, once } from './registry';
import { shownFrameNumber } from './frame-numbers';
import { absoluteTimeText, secNsecToString } from './format';
import { sinceShown } from '../output/time-format';
import { interfaceDeclared, interfaceDescription, interfaceName } from '../capture/interface-names';

const always = (): number => 1;

defineField({
  name: 'frame', label: 'Frame', shortName: 'Frame', type: FT.None, proto: 'frame', count: always,
  text: (d) => `Frame ${shownFrameNumber(d.number)}: ${d.origLen} bytes on wire (${d.origLen * 8} bits), ${d.capLen} bytes captured (${d.capLen * 8} bits)` +
    (interfaceDeclared(d.ifIndex) ? ` on interface ${ifName(d)}, id ${d.ifIndex}` : ''),
  // Every captured byte: what `frame[0:6]` and `frame contains "x"` look at, and what the bytes pane marks.
  range: (d, _i, out) => out.set(d.buf, d.frameOff, d.capLen),
});
/**
 * Wireshark's encapsulation (WTAP_ENCAP_*) for each link-layer header type tcpwatch reads, with the
 * name its tree gives it: frame.encap_type is Wireshark's number, not the file's LINKTYPE.
 */
const ENCAPSULATIONS: Readonly<Record<number, readonly [number, string]>> = {
  0: [15, 'NULL/Loopback'],
  1: [1, 'Ethernet'],
  8: [3, 'SLIP'],
  9: [4, 'PPP'],
  12: [7, 'Raw IP'],
  14: [7, 'Raw IP'],
  100: [10, 'RFC 1483 ATM'],
  101: [7, 'Raw IP'],
  105: [20, 'IEEE 802.11 Wireless LAN'],
  106: [11, 'Linux ATM CLIP'],
  107: [26, 'Frame Relay'],
  113: [25, 'Linux cooked-mode capture v1'],
  137: [67, 'Juniper ATM1'],
  195: [104, 'IEEE 802.15.4 Wireless PAN'],
  228: [129, 'Raw IPv4'],
  229: [130, 'Raw IPv6'],
  271: [185, 'Linux vsock'],
  276: [210, 'Linux cooked-mode capture v2'],
};
/** A link type Wireshark has no encapsulation for (it refuses such files): WTAP_ENCAP_UNKNOWN. */
const UNKNOWN_ENCAPSULATION: readonly [number, string] = [0, 'Unknown'];
const encapsulationOf = (d: Dissection): readonly [number, string] => ENCAPSULATIONS[d.linkType] ?? UNKNOWN_ENCAPSULATION;

const bytesAndBits = (n: number): string => `${n} bytes (${n * 8} bits)`;
const trueFalse = (): string => 'False';

// In the order of tshark 4.0's frame subtree. The section and interface lines are there for frames
// whose interface the capture declared (pcapng, several -i), as tshark shows them for pcapng only.
const declared = once((d) => interfaceDeclared(d.ifIndex));
const ifName = (d: Dissection): string => interfaceName(d.ifIndex) ?? 'unknown';
// Interface ids start again in each section of a pcapng file; tcpwatch numbers only the first (the
// rare file of several sections shows 1 throughout).
defineField({ name: 'frame.section_number', valueBits: 32, label: 'Section number', type: FT.UInt, proto: 'frame', count: declared, num: () => 1 });
defineField({
  name: 'frame.interface_id', valueBits: 32, label: 'Interface id', type: FT.UInt, proto: 'frame', count: declared,
  num: (d) => d.ifIndex, display: (d) => `${d.ifIndex} (${ifName(d)})`,
});
defineField({
  name: 'frame.interface_name', label: 'Interface name', type: FT.String, proto: 'frame', parent: 'frame.interface_id', count: declared,
  text: ifName,
});
defineField({
  name: 'frame.interface_description', label: 'Interface description', type: FT.String, proto: 'frame', parent: 'frame.interface_id',
  count: once((d) => interfaceDescription(d.ifIndex) !== undefined), text: (d) => interfaceDescription(d.ifIndex) ?? '',
});
defineField({
  name: 'frame.encap_type', valueBits: 16, label: 'Encapsulation type', type: FT.Int, proto: 'frame', count: always,
  num: (d) => encapsulationOf(d)[0], display: (d) => `${encapsulationOf(d)[1]} (${encapsulationOf(d)[0]})`,
});
defineField({
  name: 'frame.time', label: 'Arrival Time', type: FT.AbsTime, proto: 'frame', count: always,
  num: (d) => d.tsSec + d.tsNsec / 1e9,
  text: (d) => absoluteTimeText(d.tsSec, d.tsNsec, true),
});
// tcpwatch shifts no timestamps (editcap -t, Wireshark's Time Shift): always zero.
defineField({
  name: 'frame.offset_shift', label: 'Time shift for this packet', type: FT.RelTime, proto: 'frame', count: always, generated: true,
  num: () => 0, text: () => secNsecToString(0, 0),
});
defineField({
  name: 'frame.time_epoch', label: 'Epoch Time', type: FT.AbsTime, ftype: 'FT_RELATIVE_TIME', proto: 'frame', count: always,
  num: (d) => d.tsSec + d.tsNsec / 1e9,
  text: (d) => secNsecToString(d.tsSec, d.tsNsec),
  display: (d) => `${secNsecToString(d.tsSec, d.tsNsec)} seconds`,
});
defineField({
  name: 'frame.time_delta', label: 'Time delta from previous captured frame', type: FT.RelTime, proto: 'frame', count: always, generated: true,
  num: (d) => (d.tsSec - d.prevTsSec) + (d.tsNsec - d.prevTsNsec) / 1e9,
  text: (d) => secNsecToString(d.tsSec - d.prevTsSec, d.tsNsec - d.prevTsNsec),
});
defineField({
  name: 'frame.time_delta_displayed', label: 'Time delta from previous displayed frame', type: FT.RelTime, proto: 'frame', count: always, generated: true,
  num: (d) => { const [s, ns] = sinceShown(d); return s + ns / 1e9; },
  text: (d) => { const [s, ns] = sinceShown(d); return secNsecToString(s, ns); },
});
defineField({
  name: 'frame.time_relative', label: 'Time since reference or first frame', type: FT.RelTime, proto: 'frame', count: always, generated: true,
  num: (d) => (d.tsSec - d.firstTsSec) + (d.tsNsec - d.firstTsNsec) / 1e9,
  text: (d) => secNsecToString(d.tsSec - d.firstTsSec, d.tsNsec - d.firstTsNsec),
});
defineField({ name: 'frame.number', valueBits: 32, label: 'Frame Number', type: FT.UInt, proto: 'frame', count: always, num: (d) => shownFrameNumber(d.number) });
defineField({ name: 'frame.len', valueBits: 32, label: 'Frame Length', type: FT.UInt, proto: 'frame', count: always, num: (d) => d.origLen, display: (d) => bytesAndBits(d.origLen) });
defineField({ name: 'frame.cap_len', valueBits: 32, label: 'Capture Length', type: FT.UInt, proto: 'frame', count: always, num: (d) => d.capLen, display: (d) => bytesAndBits(d.capLen) });
// Marks and ignored frames are the UI's; a frame read or captured is neither.
defineField({ name: 'frame.marked', label: 'Frame is marked', type: FT.Bool, proto: 'frame', count: always, generated: true, num: () => 0, display: trueFalse });
defineField({ name: 'frame.ignored', label: 'Frame is ignored', type: FT.Bool, proto: 'frame', count: always, generated: true, num: () => 0, display: trueFalse });
defineField({
  name: 'frame.protocols', label: 'Protocols in frame', type: FT.String, proto: 'frame', count: always, generated: true,
  text: (d) => protocolsInFrame(d),
});
// A frame found malformed ends with Wireshark's own node for it, after every protocol's tree:
// `[Malformed Packet: TCP]` naming the protocol by its short name, with the error as an expert
// item (the exception Wireshark's dissector threw). src/fields/tree.ts adds it last.
defineField({
  name: '_ws.malformed', label: 'Malformed Packet', shortName: 'Malformed packet', type: FT.None, ftype: 'FT_PROTOCOL', proto: '_ws.malformed', generated: true,
  count: once((d) => d.malformed !== 0),
  text: (d) => `Malformed Packet: ${protocolShortName(PROTO_NAMES[d.malformedProto])}`,
});
defineField({
  name: '_ws.malformed.expert', label: 'Malformed Packet (Exception occurred)', type: FT.None, proto: '_ws.malformed',
  expert: { severity: 'Error', group: 'Malformed' }, count: once((d) => d.malformed !== 0), text: () => 'Malformed Packet (Exception occurred)',
});

/** The layer chain as Wireshark's frame.protocols spells it (`eth:ethertype:ip:tcp`). */
export function protocolsInFrame(d: Dissection): string {
  let s = '';
  for (let i = 0; i < d.stackLen; i++) {
    // Wireshark's Linux cooked v2 dissector is named sll as v1's is.
    const name = PROTO_NAMES[d.stack[i]] === 'sll2' ? 'sll' : PROTO_NAMES[d.stack[i]];
    s += (s ? ':' : '') + name;
    // An EtherType no dissector takes, with nothing after the header, is not handed to the ethertype dissector.
    const handedOn = !(i === d.stackLen - 1 && d.nextOff >= d.frameEnd && unclaimedEtherType(d));
    if ((name === 'eth' || name === 'sll' || name === 'vlan' || handsOnByEtherType(d.stack[i])) && handedOn) s += ':ethertype';
    // Wireshark dissects each Multipath TCP option as a protocol of its own, listed after tcp.
    if (name === 'tcp') for (let k = 0; k < d.mptcpCount; k++) s += ':mptcp';
  }
  return s;
}

// Expert items in the protocol tree (src/fields/tree.ts wraps each finding in one).
defineField({ name: '_ws.expert', label: 'Expert Info', type: FT.None, ftype: 'FT_PROTOCOL', proto: 'frame', count: () => 0 });
defineField({ name: '_ws.expert.message', label: 'Message', type: FT.None, ftype: 'FT_STRING', proto: 'frame', count: () => 0 });
defineField({ name: '_ws.expert.severity', label: 'Severity level', type: FT.None, ftype: 'FT_UINT32', proto: 'frame', count: () => 0 });
defineField({ name: '_ws.expert.group', label: 'Group', type: FT.None, ftype: 'FT_UINT32', proto: 'frame', count: () => 0 });
