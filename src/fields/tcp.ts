// TCP header fields, and the analysis fields that src/analysis fills in d.tcp.

import { Dissection } from '../decode/dissection';
import * as tcp from '../decode/tcp';
import { TcpAnalysisFlag as AF, TcpCompleteness, RETRANSMISSION_FLAGS } from '../analysis/tcp-analysis';
import { defineField, ExpertSeverity, FT, once, Span } from './registry';
import { asciiText, ChecksumStatus, CHECKSUM_STATUS_NAMES } from './format';
import { portLabel } from './names';
import { reassembledPduOf } from '../analysis/pdu-frame';
import { fragmentLine, fragmentsHeading } from './fragments';
import { defineForwardRef } from './forward-refs';
import { tunnelPrefix } from '../decode/protocol-registry';

const hasTcp = once((d) => d.tcpOff >= 0);
const flag = (bit: number) => (d: Dissection): number => ((d.tcpFlags & bit) !== 0 ? 1 : 0);

defineField({
  name: 'tcp', label: 'Transmission Control Protocol', type: FT.None, proto: 'tcp', count: hasTcp,
  text: (d) => {
    let s = `Transmission Control Protocol, Src Port: ${portLabel('tcp', d.srcPort)}, Dst Port: ${portLabel('tcp', d.dstPort)}`;
    if (d.tcp.stream >= 0) {
      s += `, Seq: ${d.tcp.relSeq}`;
      if (d.tcpFlags & tcp.TH_ACK) s += `, Ack: ${d.tcp.relAck}`;
    }
    return d.inIcmpError || d.fragmented ? s : s + `, Len: ${d.payloadLen}`;
  },
  range: (d, _i, out) => out.set(d.buf, d.tcpOff, Math.min(d.tcpHdrLen, d.frameEnd - d.tcpOff)),
});
defineField({ name: 'tcp.srcport', valueBits: 16, label: 'Source Port', type: FT.UInt, portKind: 'tcp', proto: 'tcp', count: hasTcp, num: (d) => d.srcPort, range: (d, _i, o) => o.set(d.buf, d.tcpOff, 2) });
defineField({ name: 'tcp.dstport', valueBits: 16, label: 'Destination Port', type: FT.UInt, portKind: 'tcp', proto: 'tcp', count: hasTcp, num: (d) => d.dstPort, range: (d, _i, o) => o.set(d.buf, d.tcpOff + 2, 2) });
defineField({
  name: 'tcp.port', valueBits: 16, hidden: true, label: 'Source or Destination Port', type: FT.UInt, proto: 'tcp', count: (d) => (d.tcpOff >= 0 ? 2 : 0),
  num: (d, i) => (i === 0 ? d.srcPort : d.dstPort),
});
defineField({
  name: 'tcp.stream', valueBits: 32, label: 'Stream index', type: FT.UInt, proto: 'tcp', generated: true, count: once((d) => d.tcp.stream >= 0), num: (d) => d.tcp.stream,
});
// A header quoted in an ICMP error, or in an IP fragment, shows its raw sequence number as tcp.seq
// and has no length, as in Wireshark.
const hasSegment = once((d) => d.tcpOff >= 0 && !d.inIcmpError && !d.fragmented);
const COMPLETENESS_NAMES: Readonly<Record<number, string>> = { 1: 'SYN_SENT', 3: 'CLIENT_ESTABLISHED', 7: 'ESTABLISHED', 15: 'DATA' };
/** tcp.completeness as Wireshark 4.0 words it: "Incomplete, ESTABLISHED (7)", "Complete, WITH_DATA (31)". */
function completenessText(v: number): string {
  const whole = TcpCompleteness.Syn | TcpCompleteness.SynAck | TcpCompleteness.Ack;
  if ((v & whole) === whole && (v & (TcpCompleteness.Fin | TcpCompleteness.Rst)) !== 0) {
    return `Complete, ${v & TcpCompleteness.Data ? 'WITH_DATA' : 'NO_DATA'} (${v})`;
  }
  const name = COMPLETENESS_NAMES[v];
  return name !== undefined ? `Incomplete, ${name} (${v})` : `Incomplete (${v})`;
}
defineField({
  name: 'tcp.completeness', valueBits: 8, label: 'Conversation completeness', type: FT.UInt, proto: 'tcp', generated: true,
  count: hasSegment, num: (d) => d.tcp.completeness, display: (d) => completenessText(d.tcp.completeness),
});
defineField({ name: 'tcp.len', valueBits: 32, label: 'TCP Segment Len', type: FT.UInt, proto: 'tcp', generated: true, count: hasSegment, num: (d) => d.payloadLen });
defineField({
  name: 'tcp.seq', valueBits: 32, label: 'Sequence Number', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcp.stream >= 0), num: (d) => d.tcp.relSeq,
  display: (d) => (d.inIcmpError || d.fragmented ? `${d.tcp.relSeq}` : `${d.tcp.relSeq}    (relative sequence number)`),
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_SEQ, 4),
});
defineField({ name: 'tcp.seq_raw', valueBits: 32, label: 'Sequence Number (raw)', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcpOff >= 0 && !d.inIcmpError), num: (d) => d.seqRaw, range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_SEQ, 4) });
defineField({
  name: 'tcp.nxtseq', valueBits: 32, label: 'Next Sequence Number', type: FT.UInt, proto: 'tcp', generated: true,
  count: once((d) => d.tcp.stream >= 0 && !d.inIcmpError && !d.fragmented), num: (d) => d.tcp.nxtSeq,
  display: (d) => `${d.tcp.nxtSeq}    (relative sequence number)`,
});
// Wireshark shows tcp.ack on every segment: relative with the ACK flag, the raw field without it.
defineField({
  name: 'tcp.ack', valueBits: 32, label: 'Acknowledgment Number', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcp.stream >= 0), num: (d) => d.tcp.relAck,
  display: (d) => (d.tcp.hasAck && !d.inIcmpError ? `${d.tcp.relAck}    (relative ack number)` : `${d.tcp.relAck}`),
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_ACK, 4),
});
defineField({ name: 'tcp.ack_raw', valueBits: 32, label: 'Acknowledgment number (raw)', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.ackRaw, range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_ACK, 4) });
defineField({
  name: 'tcp.hdr_len', valueBits: 8, label: 'Header Length', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.tcpHdrLen,
  mask: 0xf0, bitWidth: 8, unit: (d) => d.buf[d.tcpOff + tcp.TCP_OFFSET_FLAGS], display: (d) => `${d.tcpHdrLen} bytes (${d.tcpHdrLen >> 2})`,
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_OFFSET_FLAGS, 1),
});
defineField({
  // Wireshark's mask is 0x0fff (the 12 flag bits): three digits in the tree and columns, four in -T fields.
  name: 'tcp.flags', valueBits: 16, label: 'Flags', type: FT.Hex, hexDigits: 3, proto: 'tcp', count: hasTcp, num: (d) => d.tcpFlags,
  display: (d) => `0x${d.tcpFlags.toString(16).padStart(3, '0')} (${tcpFlagsList(d.tcpFlags, aceCounter(d))})`,
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_OFFSET_FLAGS, 2),
});
// The flag bits under Flags, each drawn within the 12 bits as Wireshark draws them.
const flagBits = { type: FT.Bool, proto: 'tcp', parent: 'tcp.flags', bitWidth: 12, unit: (d: Dissection) => d.tcpFlags, range: (d: Dissection, _i: number, o: Span) => o.set(d.buf, d.tcpOff + tcp.TCP_OFFSET_FLAGS, 2) } as const;
defineField({ ...flagBits, name: 'tcp.flags.res', label: 'Reserved', mask: tcp.TH_RES, count: hasTcp, num: (d) => ((d.tcpFlags & tcp.TH_RES) !== 0 ? 1 : 0) });
// On a connection that negotiated Accurate ECN (RFC 9768), AE/CWR/ECE of a non-SYN segment are one
// 3-bit counter, and Wireshark shows tcp.flags.ace in place of the three flags.
const aceCounter = (d: Dissection): boolean => d.tcp.useAce && (d.tcpFlags & tcp.TH_SYN) === 0;
const hasEcnFlags = once((d) => d.tcpOff >= 0 && !aceCounter(d));
defineField({
  ...flagBits, name: 'tcp.flags.ace', valueBits: 8, label: 'ACE', type: FT.UInt, mask: tcp.TH_AE | tcp.TH_CWR | tcp.TH_ECE,
  count: once((d) => d.tcpOff >= 0 && aceCounter(d)), num: (d) => (d.tcpFlags >> 6) & 7,
});
defineField({ ...flagBits, name: 'tcp.flags.ae', label: 'Accurate ECN', mask: tcp.TH_AE, count: hasEcnFlags, num: flag(tcp.TH_AE) });
defineField({ ...flagBits, name: 'tcp.flags.cwr', label: 'Congestion Window Reduced', mask: tcp.TH_CWR, count: hasEcnFlags, num: flag(tcp.TH_CWR) });
defineField({ ...flagBits, name: 'tcp.flags.ece', label: 'ECN-Echo', mask: tcp.TH_ECE, count: hasEcnFlags, num: flag(tcp.TH_ECE) });
defineField({ ...flagBits, name: 'tcp.flags.urg', label: 'Urgent', mask: tcp.TH_URG, count: hasTcp, num: flag(tcp.TH_URG) });
defineField({ ...flagBits, name: 'tcp.flags.ack', label: 'Acknowledgment', mask: tcp.TH_ACK, count: hasTcp, num: flag(tcp.TH_ACK) });
defineField({ ...flagBits, name: 'tcp.flags.push', label: 'Push', mask: tcp.TH_PSH, count: hasTcp, num: flag(tcp.TH_PSH) });
defineField({ ...flagBits, name: 'tcp.flags.reset', label: 'Reset', mask: tcp.TH_RST, count: hasTcp, num: flag(tcp.TH_RST) });
defineField({ ...flagBits, name: 'tcp.flags.syn', label: 'Syn', mask: tcp.TH_SYN, count: hasTcp, num: flag(tcp.TH_SYN) });
defineField({ ...flagBits, name: 'tcp.flags.fin', label: 'Fin', mask: tcp.TH_FIN, count: hasTcp, num: flag(tcp.TH_FIN) });
defineField({
  name: 'tcp.flags.str', label: 'TCP Flags', type: FT.String, proto: 'tcp', generated: true, parent: 'tcp.flags', count: hasTcp, text: (d) => tcpFlagsStr(d),
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_OFFSET_FLAGS, 2),
});
// What the flags say of the connection, as Wireshark's expert items under them. A header quoted by
// an ICMP error is not a segment of its connection, and says nothing.
const isSegment = (d: Dissection): boolean => d.tcpOff >= 0 && !d.inIcmpError;
const flagsOnly = (d: Dissection, bits: number): boolean => isSegment(d) && (d.tcpFlags & (tcp.TH_SYN | tcp.TH_ACK | tcp.TH_FIN | tcp.TH_RST) & bits) !== 0;
const flagsRange = (d: Dissection, _i: number, o: Span): boolean => o.set(d.buf, d.tcpOff + tcp.TCP_OFFSET_FLAGS, 2);
defineField({
  name: 'tcp.connection.syn', label: 'Connection establish request (SYN)', type: FT.None, proto: 'tcp', parent: 'tcp.flags.syn', expert: { severity: 'Chat', group: 'Sequence' },
  count: once((d) => isSegment(d) && (d.tcpFlags & (tcp.TH_SYN | tcp.TH_ACK)) === tcp.TH_SYN), text: (d) => `Connection establish request (SYN): server port ${d.dstPort}`, range: flagsRange,
});
defineField({
  name: 'tcp.connection.synack', label: 'Connection establish acknowledge (SYN+ACK)', type: FT.None, proto: 'tcp', parent: 'tcp.flags.syn', expert: { severity: 'Chat', group: 'Sequence' },
  count: once((d) => isSegment(d) && (d.tcpFlags & (tcp.TH_SYN | tcp.TH_ACK)) === (tcp.TH_SYN | tcp.TH_ACK)), text: (d) => `Connection establish acknowledge (SYN+ACK): server port ${d.srcPort}`, range: flagsRange,
});
defineField({
  name: 'tcp.connection.rst', label: 'Connection reset (RST)', type: FT.None, proto: 'tcp', parent: 'tcp.flags.reset', expert: { severity: 'Warning', group: 'Sequence' },
  count: once((d) => flagsOnly(d, tcp.TH_RST)), text: () => 'Connection reset (RST)', range: flagsRange,
});
defineField({
  name: 'tcp.connection.fin', label: 'Connection finish (FIN)', type: FT.None, proto: 'tcp', parent: 'tcp.flags.fin', expert: { severity: 'Chat', group: 'Sequence' },
  count: once((d) => flagsOnly(d, tcp.TH_FIN)), text: () => 'Connection finish (FIN)', range: flagsRange,
});
// The side that sent the connection's first FIN closes actively, the other passively: each FIN says which.
defineField({
  name: 'tcp.connection.fin_active', label: 'This frame initiates the connection closing', type: FT.None, proto: 'tcp', parent: 'tcp.flags.str', expert: { severity: 'Note', group: 'Sequence' },
  count: once((d) => flagsOnly(d, tcp.TH_FIN) && d.tcp.stream >= 0 && d.tcp.finActive), text: () => 'This frame initiates the connection closing', range: flagsRange,
});
defineField({
  name: 'tcp.connection.fin_passive', label: 'This frame undergoes the connection closing', type: FT.None, proto: 'tcp', parent: 'tcp.flags.str', expert: { severity: 'Note', group: 'Sequence' },
  count: once((d) => flagsOnly(d, tcp.TH_FIN) && d.tcp.stream >= 0 && !d.tcp.finActive), text: () => 'This frame undergoes the connection closing', range: flagsRange,
});
defineField({ name: 'tcp.window_size_value', valueBits: 16, label: 'Window', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.window, range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_WINDOW, 2) });
defineField({
  name: 'tcp.window_size', valueBits: 32, label: 'Calculated window size', type: FT.UInt, proto: 'tcp', generated: true, count: hasTcp,
  num: (d) => (d.tcp.windowSize >= 0 ? d.tcp.windowSize : d.window), range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_WINDOW, 2),
});
const SCALE_NAMES: Readonly<Record<number, string>> = { [-1]: 'unknown', [-2]: 'no window scaling used' };
defineField({
  name: 'tcp.window_size_scalefactor', valueBits: 32, label: 'Window size scaling factor', type: FT.Int, proto: 'tcp', generated: true,
  count: once((d) => d.tcp.windowScale !== 0 && isSegment(d)), num: (d) => d.tcp.windowScale, valueNames: SCALE_NAMES,
  display: (d) => (SCALE_NAMES[d.tcp.windowScale] !== undefined ? `${d.tcp.windowScale} (${SCALE_NAMES[d.tcp.windowScale]})` : `${d.tcp.windowScale}`),
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_WINDOW, 2),
});
defineField({
  name: 'tcp.checksum', valueBits: 16, label: 'Checksum', type: FT.Hex, hexDigits: 4, proto: 'tcp', count: hasTcp, num: (d) => d.buf.readUInt16BE(d.tcpOff + tcp.TCP_CHECKSUM),
  display: (d) => `0x${d.buf.readUInt16BE(d.tcpOff + tcp.TCP_CHECKSUM).toString(16).padStart(4, '0')} [unverified]`,
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_CHECKSUM, 2),
});
// tcpwatch, as Wireshark by default, does not verify TCP checksums (offloading makes most captured ones wrong).
defineField({
  name: 'tcp.checksum.status', valueBits: 8, label: 'Checksum Status', type: FT.UInt, proto: 'tcp', generated: true, count: hasTcp,
  num: () => ChecksumStatus.Unverified, display: () => CHECKSUM_STATUS_NAMES[ChecksumStatus.Unverified],
});
defineField({
  name: 'tcp.urgent_pointer', valueBits: 16, label: 'Urgent Pointer', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.urgentPtr,
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_URGENT, 2),
});

// ---- options: one node per option, in the order of the header, each with its kind and length ----

const optionStarts = new Int32Array(40);
const KIND_NAMES: Readonly<Record<number, string>> = {
  0: 'End of Option List', 1: 'No-Operation', 2: 'Maximum Segment Size', 3: 'Window Scale', 4: 'SACK Permitted', 5: 'SACK',
  8: 'Time Stamp Option', 30: 'Multipath TCP', 34: 'TCP Fast Open Cookie', 253: 'RFC3692-style Experiment 1', 254: 'RFC3692-style Experiment 2',
};
/** The options tcpwatch draws as nodes, by kind: the node's field and what it says. */
const OPTION_NODES: Readonly<Record<number, [string, string]>> = {
  0: ['tcp.options.eol', 'End of Option List (EOL)'], 1: ['tcp.options.nop', 'No-Operation (NOP)'], 2: ['tcp.options.mss', 'Maximum segment size'],
  3: ['tcp.options.wscale', 'Window scale'], 4: ['tcp.options.sack_perm', 'SACK permitted'], 5: ['tcp.options.sack', 'SACK'], 8: ['tcp.options.timestamp', 'Timestamps'],
  30: ['mptcp', 'Multipath TCP'], 253: ['tcp.options.experimental', 'Experimental'], 254: ['tcp.options.experimental', 'Experimental'],
};
/** Offset of option number i among those that pass `keep`, or -1. */
function optionAt(d: Dissection, i: number, keep: (kind: number) => boolean): number {
  const n = tcp.listTcpOptions(d, optionStarts);
  for (let k = 0; k < n; k++) {
    if (keep(d.buf[optionStarts[k]]) && i-- === 0) return optionStarts[k];
  }
  return -1;
}
function optionCount(d: Dissection, keep: (kind: number) => boolean): number {
  const n = tcp.listTcpOptions(d, optionStarts);
  let c = 0;
  for (let k = 0; k < n; k++) if (keep(d.buf[optionStarts[k]])) c++;
  return c;
}
/** Every option listed has its kind, and all but EOL and NOP their length. */
const anyOption = (): boolean => true;
const withLength = (kind: number): boolean => kind > tcp.TCPOPT_NOP;
const optionLength = (d: Dissection, p: number): number => (d.buf[p] <= tcp.TCPOPT_NOP ? 1 : d.buf[p + 1]);
const OPTION_FIELD_NAMES = [...new Set(Object.values(OPTION_NODES).map(([name]) => name))];

defineField({
  name: 'tcp.options', label: 'TCP Options', type: FT.Bytes, proto: 'tcp', count: once((d) => d.tcpOff >= 0 && d.tcpHdrLen > 20 && d.tcpOff + d.tcpHdrLen <= d.frameEnd),
  bytes: (d, _i, o) => o.set(d.buf, d.tcpOff + 20, d.tcpHdrLen - 20), range: (d, _i, o) => o.set(d.buf, d.tcpOff + 20, d.tcpHdrLen - 20),
  heading: (d) => {
    let s = `Options: (${d.tcpHdrLen - 20} bytes)`;
    const n = tcp.listTcpOptions(d, optionStarts);
    for (let k = 0; k < n; k++) s += `, ${OPTION_NODES[d.buf[optionStarts[k]]]?.[1] ?? KIND_NAMES[d.buf[optionStarts[k]]] ?? 'Unknown'}`;
    return s;
  },
});
// Four NOPs where a 32-bit word would have held fewer: a middlebox may have blanked options out.
// Wireshark counts the NOPs of a header, and a NOP that starts a new word resets the count unless
// it is the first; other options leave it be. The warning stands before the fourth.
function fourthNop(d: Dissection): number {
  const n = tcp.listTcpOptions(d, optionStarts);
  let nops = 0;
  for (let k = 0; k < n; k++) {
    const p = optionStarts[k];
    if (d.buf[p] !== tcp.TCPOPT_NOP) continue;
    if (nops === 0 || (p - d.tcpOff) % 4 !== 0) {
      if (++nops === 4) return p;
    } else {
      nops = 0;
    }
  }
  return -1;
}
defineField({
  name: 'tcp.nop', label: '4 NOP in a row - a router may have removed some options', type: FT.None, proto: 'tcp', parent: 'tcp.options',
  expert: { severity: 'Warning', group: 'Protocol' }, count: once((d) => fourthNop(d) >= 0),
  text: () => '4 NOP in a row - a router may have removed some options', range: (d, _i, o) => o.set(d.buf, fourthNop(d), 0),
});
const optionNode = (kind: number, heading: (d: Dissection, p: number) => string, kinds: readonly number[] = [kind]): void => {
  const [name, what] = OPTION_NODES[kind];
  const only = (k: number): boolean => kinds.includes(k);
  // Wireshark registers each option as a protocol in name only whose value is the option's bytes
  // (FT_BYTES): -T fields prints them in hex, JSON and PDML give them beside the option's subtree.
  const optionBytes = (d: Dissection, i: number, o: Span): boolean => { const p = optionAt(d, i, only); return o.set(d.buf, p, optionLength(d, p)); };
  defineField({
    name, label: `TCP Option - ${what}`, type: FT.Bytes, ftype: 'FT_PROTOCOL', proto: 'tcp', parent: 'tcp.options', count: (d) => optionCount(d, only),
    heading: (d, i) => `TCP Option - ${heading(d, optionAt(d, i, only))}`, bytes: optionBytes, range: optionBytes,
  });
};
optionNode(tcp.TCPOPT_EOL, () => 'End of Option List (EOL)');
optionNode(tcp.TCPOPT_NOP, () => 'No-Operation (NOP)');
optionNode(tcp.TCPOPT_MSS, (d, p) => `Maximum segment size: ${d.buf[p + 1] === 4 ? d.buf.readUInt16BE(p + 2) : 0} bytes`);
optionNode(tcp.TCPOPT_WSCALE, (d, p) => {
  const shift = d.buf[p + 1] === 3 ? d.buf[p + 2] : 0;
  return `Window scale: ${shift} (multiply by ${2 ** Math.min(shift, 14)})`;
});
optionNode(tcp.TCPOPT_SACK_PERM, () => 'SACK permitted');
optionNode(tcp.TCPOPT_SACK, (d, p) => {
  let s = 'SACK';
  for (let q = p + 2; q + 8 <= p + optionLength(d, p); q += 8) s += ` ${d.tcp.sackRelative(d.buf.readUInt32BE(q))}-${d.tcp.sackRelative(d.buf.readUInt32BE(q + 4))}`;
  return s;
});
optionNode(tcp.TCPOPT_TIMESTAMP, (d, p) => (d.buf[p + 1] === 10 ? `Timestamps: TSval ${d.buf.readUInt32BE(p + 2)}, TSecr ${d.buf.readUInt32BE(p + 6)}` : 'Timestamps'));
// RFC 6994 experiments: the experiment identifier follows the length (TCP Fast Open's 0xf989, AccECN's 0xacc0 / 0xacc1).
const EXPERIMENTS: Readonly<Record<number, string>> = { 0xf989: 'Fast Open', 0xacc0: 'Accurate ECN - Order 0', 0xacc1: 'Accurate ECN - Order 1' };
const experimentId = (d: Dissection, p: number): number => (d.buf[p + 1] >= 4 ? d.buf.readUInt16BE(p + 2) : -1);
optionNode(253, (d, p) => `Experimental: ${EXPERIMENTS[experimentId(d, p)] ?? 'Unknown'}`, [253, 254]);
const experimental = (k: number): boolean => k === 253 || k === 254;
/** Offset of experiment option number i among those long enough to carry an identifier, or -1. */
function experimentOption(d: Dissection, i: number): number {
  for (let k = 0, p = optionAt(d, 0, experimental); p >= 0; p = optionAt(d, ++k, experimental)) if (experimentId(d, p) >= 0 && i-- === 0) return p;
  return -1;
}
defineField({
  name: 'tcp.options.experimental.exid', valueBits: 16, label: 'Experiment Identifier', type: FT.Hex, hexDigits: 4, proto: 'tcp', parent: 'tcp.options.experimental',
  count: (d) => { let n = 0; while (experimentOption(d, n) >= 0) n++; return n; },
  num: (d, i) => experimentId(d, experimentOption(d, i)), valueNames: EXPERIMENTS,
  range: (d, i, o) => o.set(d.buf, experimentOption(d, i) + 2, 2),
});
// What an experiment carries: TCP Fast Open's cookie or its request (RFC 7413), AccECN's byte
// counters (RFC 9768 §3.2.3; order 1 lists them the other way round).
const experimentAt = (exid: number, minLen: number) => (d: Dissection): number => {
  for (let i = 0, p = experimentOption(d, 0); p >= 0; p = experimentOption(d, ++i)) if (experimentId(d, p) === exid && d.buf[p + 1] >= minLen) return p;
  return -1;
};
const tfoOption = experimentAt(0xf989, 4);
const isTfoRequest = (d: Dissection): boolean => { const p = tfoOption(d); return p >= 0 && d.buf[p + 1] === 4; };
defineField({
  name: 'tcp.options.tfo.request', label: 'Fast Open Cookie Request', type: FT.None, proto: 'tcp', parent: 'tcp.options.experimental',
  count: once(isTfoRequest), range: (d, _i, o) => o.set(d.buf, tfoOption(d) + 2, 2),
});
defineField({
  name: 'tcp.options.tfo.cookie', label: 'Fast Open Cookie', type: FT.Bytes, proto: 'tcp', parent: 'tcp.options.experimental',
  count: once((d) => tfoOption(d) >= 0 && !isTfoRequest(d)), bytes: (d, _i, o) => { const p = tfoOption(d); return o.set(d.buf, p + 4, d.buf[p + 1] - 4); },
});
defineField({
  name: 'tcp.analysis.tfo_syn', label: 'TCP SYN with TFO Cookie', type: FT.None, proto: 'tcp', parent: 'tcp.options.tfo.cookie', expert: { severity: 'Note', group: 'Sequence' },
  count: once((d) => tfoOption(d) >= 0 && !isTfoRequest(d) && (d.tcpFlags & (tcp.TH_SYN | tcp.TH_ACK)) === tcp.TH_SYN), text: () => 'TCP SYN with TFO Cookie',
  range: (d, _i, o) => { const p = tfoOption(d); return o.set(d.buf, p + 4, d.buf[p + 1] - 4); },
});
const accEcn0 = experimentAt(0xacc0, 4), accEcn1 = experimentAt(0xacc1, 4);
const accEcnCounter = (name: string, label: string, order0: number, order1: number): void => {
  const at = (d: Dissection): number => {
    const p0 = accEcn0(d);
    const p = p0 >= 0 ? p0 : accEcn1(d);
    const k = p0 >= 0 ? order0 : order1;
    return p >= 0 && 4 + 3 * (k + 1) <= d.buf[p + 1] ? p + 4 + 3 * k : -1;
  };
  defineField({
    name, label, valueBits: 24, type: FT.UInt, proto: 'tcp', parent: 'tcp.options.experimental', count: once((d) => at(d) >= 0),
    num: (d) => d.buf.readUIntBE(at(d), 3), range: (d, _i, o) => o.set(d.buf, at(d), 3),
  });
};
accEcnCounter('tcp.options.acc_ecn.ee0b', 'Accurate ECN Echo ECT(0) Byte Counter', 0, 2);
accEcnCounter('tcp.options.acc_ecn.eceb', 'Accurate ECN Echo CE Byte Counter', 1, 1);
accEcnCounter('tcp.options.acc_ecn.ee1b', 'Accurate ECN Echo ECT(1) Byte Counter', 2, 0);
// A SYN without an MSS option: the peer has to assume the default (RFC 9293 §3.7.1).
defineField({
  name: 'tcp.options.mss.absent', label: 'The SYN packet does not contain a MSS option', type: FT.None, proto: 'tcp', parent: 'tcp.options',
  expert: { severity: 'Note', group: 'Protocol' }, count: once((d) => (d.tcpFlags & tcp.TH_SYN) !== 0 && d.optMss < 0 && d.tcpHdrLen > 20 && d.tcpOff + d.tcpHdrLen <= d.frameEnd),
  text: () => 'The SYN packet does not contain a MSS option', range: (d, _i, o) => o.set(d.buf, d.tcpOff + d.tcpHdrLen, 0),
});
// Multipath TCP options are a protocol of their own in Wireshark's tree (`-Y mptcp` finds the
// segments that carry one); tcpwatch names each by its subtype.
const MPTCP_SUBTYPES: Readonly<Record<number, string>> = {
  0: 'Multipath Capable', 1: 'Join Connection', 2: 'Data Sequence Signal', 3: 'Add Address', 4: 'Remove Address',
  5: 'Change Subflow Priority', 6: 'TCP Fallback', 7: 'Fast Close', 8: 'TCP Reset',
};
const isMptcp = (k: number): boolean => k === tcp.TCPOPT_MPTCP;
defineField({
  name: 'mptcp', label: 'Multipath Transmission Control Protocol', type: FT.None, proto: 'mptcp', alsoIn: ['tcp'], parent: 'tcp.options',
  count: (d) => optionCount(d, isMptcp),
  heading: (d, i) => {
    const p = optionAt(d, i, isMptcp);
    const sub = d.buf[p + 1] >= 3 ? MPTCP_SUBTYPES[d.buf[p + 2] >> 4] : undefined;
    return `Multipath Transmission Control Protocol${sub !== undefined ? `: ${sub}` : ''}`;
  },
  range: (d, i, o) => { const p = optionAt(d, i, isMptcp); return o.set(d.buf, p, optionLength(d, p)); },
});
defineField({
  name: 'tcp.option_kind', valueBits: 8, label: 'Kind', type: FT.UInt, proto: 'tcp', parent: OPTION_FIELD_NAMES, valueNames: KIND_NAMES,
  count: (d) => optionCount(d, anyOption), num: (d, i) => d.buf[optionAt(d, i, anyOption)],
  range: (d, i, o) => o.set(d.buf, optionAt(d, i, anyOption), 1),
});
defineField({
  name: 'tcp.option_len', valueBits: 8, label: 'Length', type: FT.UInt, proto: 'tcp', parent: OPTION_FIELD_NAMES,
  count: (d) => optionCount(d, withLength), num: (d, i) => d.buf[optionAt(d, i, withLength) + 1],
  range: (d, i, o) => o.set(d.buf, optionAt(d, i, withLength) + 1, 1),
});
const optionValue = (kind: number, at: number, len: number) => (d: Dissection, _i: number, o: Span): boolean => o.set(d.buf, optionAt(d, 0, (k) => k === kind) + at, len);
defineField({
  name: 'tcp.options.mss_val', valueBits: 16, label: 'MSS Value', type: FT.UInt, proto: 'tcp', parent: 'tcp.options.mss', count: once((d) => d.optMss >= 0), num: (d) => d.optMss,
  range: optionValue(tcp.TCPOPT_MSS, 2, 2),
});
defineField({
  name: 'tcp.options.wscale.shift', valueBits: 8, label: 'Shift count', type: FT.UInt, proto: 'tcp', parent: 'tcp.options.wscale', count: once((d) => d.optWscale >= 0), num: (d) => d.optWscale,
  range: optionValue(tcp.TCPOPT_WSCALE, 2, 1),
});
defineField({
  name: 'tcp.options.wscale.multiplier', valueBits: 16, label: 'Multiplier', type: FT.UInt, proto: 'tcp', generated: true, parent: 'tcp.options.wscale',
  count: once((d) => d.optWscale >= 0), num: (d) => 2 ** Math.min(d.optWscale, 14), range: optionValue(tcp.TCPOPT_WSCALE, 2, 1),
});
defineField({
  name: 'tcp.options.timestamp.tsval', valueBits: 32, label: 'Timestamp value', type: FT.UInt, proto: 'tcp', parent: 'tcp.options.timestamp',
  count: once((d) => d.optTsOff >= 0), num: (d) => d.buf.readUInt32BE(d.optTsOff), range: (d, _i, o) => o.set(d.buf, d.optTsOff, 4),
});
defineField({
  name: 'tcp.options.timestamp.tsecr', valueBits: 32, label: 'Timestamp echo reply', type: FT.UInt, proto: 'tcp', parent: 'tcp.options.timestamp',
  count: once((d) => d.optTsOff >= 0), num: (d) => d.buf.readUInt32BE(d.optTsOff + 4), range: (d, _i, o) => o.set(d.buf, d.optTsOff + 4, 4),
});
defineField({
  name: 'tcp.options.mptcp.subtype', valueBits: 8, label: 'Multipath TCP subtype', type: FT.UInt, proto: 'tcp', hidden: true,
  count: (d) => (d.tcpOff >= 0 ? d.mptcpCount : 0), num: (d, i) => d.buf[d.mptcpOff[i] + 2] >> 4,
});
// SACK edges count from the peer's initial sequence number, as tshark shows them.
defineField({
  name: 'tcp.options.sack_le', valueBits: 32, label: 'TCP SACK Left Edge', type: FT.UInt, proto: 'tcp', parent: 'tcp.options.sack', count: (d) => d.sackCount,
  heading: (d, i) => `left edge = ${d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[i]))} (relative)`,
  num: (d, i) => d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[i])), range: (d, i, o) => o.set(d.buf, d.sackOff[i], 4),
});
defineField({
  name: 'tcp.options.sack_re', valueBits: 32, label: 'TCP SACK Right Edge', type: FT.UInt, proto: 'tcp', parent: 'tcp.options.sack', count: (d) => d.sackCount,
  heading: (d, i) => `right edge = ${d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[i] + 4))} (relative)`,
  num: (d, i) => d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[i] + 4)), range: (d, i, o) => o.set(d.buf, d.sackOff[i] + 4, 4),
});

// ---- times within the stream (Wireshark's tcp.calculate_timestamps, on by default) ----

const hasTimes = once((d) => d.tcp.stream >= 0 && isSegment(d) && !d.fragmented);
defineField({ name: '_text.tcp.timestamps', label: 'Timestamps', type: FT.None, proto: 'tcp', textNode: true, generated: true, count: hasTimes, heading: () => 'Timestamps' });
defineField({
  name: 'tcp.time_relative', label: 'Time since first frame in this TCP stream', type: FT.RelTime, proto: 'tcp', generated: true, parent: '_text.tcp.timestamps',
  count: hasTimes, num: (d) => d.tcp.timeRelative, display: (d) => `${d.tcp.timeRelative.toFixed(9)} seconds`,
});
defineField({
  name: 'tcp.time_delta', label: 'Time since previous frame in this TCP stream', type: FT.RelTime, proto: 'tcp', generated: true, parent: '_text.tcp.timestamps',
  count: hasTimes, num: (d) => d.tcp.timeDelta, display: (d) => `${d.tcp.timeDelta.toFixed(9)} seconds`,
});

// tcp.analysis.*: Wireshark's sequence analysis, in the order and nesting of its tree (packet-tcp.c's
// tcp_print_sequence_number_analysis): the "SEQ/ACK analysis" node exists when the analysis made a
// record for the segment; under it what the segment acknowledges, the RTTs, the bytes in flight,
// then "TCP Analysis Flags" with one expert item per finding, and the duplicate-ACK figures.
const anyAnalysis = AF.Retransmission | AF.FastRetransmission | AF.SpuriousRetransmission | AF.OutOfOrder | AF.LostSegment |
  AF.DuplicateAck | AF.ZeroWindow | AF.WindowFull | AF.WindowUpdate | AF.KeepAlive | AF.KeepAliveAck |
  AF.ZeroWindowProbe | AF.ZeroWindowProbeAck | AF.AckedUnseen | AF.PortsReused;
const ANALYSIS = 'tcp.analysis', FLAGS = 'tcp.analysis.flags';
defineField({ name: ANALYSIS, label: 'SEQ/ACK analysis', type: FT.None, proto: 'tcp', generated: true, count: once((d) => d.tcp.analysed) });
defineField({
  name: 'tcp.analysis.acks_frame', label: 'This is an ACK to the segment in frame', type: FT.UInt, ftype: 'FT_FRAMENUM', proto: 'tcp', parent: ANALYSIS, generated: true,
  count: once((d) => d.tcp.acksFrame > 0), num: (d) => d.tcp.acksFrame,
});
defineField({
  name: 'tcp.analysis.ack_rtt', label: 'The RTT to ACK the segment was', type: FT.RelTime, proto: 'tcp', parent: ANALYSIS, generated: true,
  count: once((d) => !Number.isNaN(d.tcp.ackRtt)), num: (d) => d.tcp.ackRtt,
});
defineField({
  name: 'tcp.analysis.initial_rtt', label: 'iRTT', type: FT.RelTime, proto: 'tcp', parent: ANALYSIS, generated: true,
  count: once((d) => d.tcp.analysed && !Number.isNaN(d.tcp.initialRtt)), num: (d) => d.tcp.initialRtt,
});
// Shown together when the segment leaves bytes in flight, as Wireshark does.
const hasBytesInFlight = once((d) => d.tcp.bytesInFlight !== 0);
defineField({ name: 'tcp.analysis.bytes_in_flight', valueBits: 32, label: 'Bytes in flight', type: FT.UInt, proto: 'tcp', parent: ANALYSIS, generated: true, count: hasBytesInFlight, num: (d) => d.tcp.bytesInFlight });
defineField({ name: 'tcp.analysis.push_bytes_sent', valueBits: 32, label: 'Bytes sent since last PSH flag', type: FT.UInt, proto: 'tcp', parent: ANALYSIS, generated: true, count: hasBytesInFlight, num: (d) => d.tcp.pushBytesSent });
defineField({ name: FLAGS, label: 'TCP Analysis Flags', type: FT.None, proto: 'tcp', parent: ANALYSIS, generated: true, count: once((d) => (d.tcp.flags & anyAnalysis) !== 0) });

// Wireshark marks fast and spurious retransmissions as retransmissions too (a second expert item
// of tcp.analysis.retransmission's name after theirs), so a filter for retransmissions finds all three.
const finding = (name: string, bit: number, label: string, severity: ExpertSeverity): void => {
  defineField({ name, label, type: FT.None, proto: 'tcp', parent: FLAGS, expert: { severity, group: 'Sequence' }, count: once((d) => (d.tcp.flags & bit) !== 0) });
};
finding('tcp.analysis.reused_ports', AF.PortsReused, 'A new tcp session is started with the same ports as an earlier session in this trace', 'Note');
finding('tcp.analysis.fast_retransmission', AF.FastRetransmission, 'This frame is a (suspected) fast retransmission', 'Note');
finding('tcp.analysis.spurious_retransmission', AF.SpuriousRetransmission, 'This frame is a (suspected) spurious retransmission', 'Note');
finding('tcp.analysis.retransmission', RETRANSMISSION_FLAGS, 'This frame is a (suspected) retransmission', 'Note');
const hasRto = once((d) => d.tcp.rtoFrame > 0);
defineField({ name: 'tcp.analysis.rto', label: 'The RTO for this segment was', type: FT.RelTime, proto: 'tcp', parent: FLAGS, generated: true, count: hasRto, num: (d) => d.tcp.rto });
defineField({ name: 'tcp.analysis.rto_frame', label: 'RTO based on delta from frame', type: FT.UInt, ftype: 'FT_FRAMENUM', proto: 'tcp', parent: FLAGS, generated: true, count: hasRto, num: (d) => d.tcp.rtoFrame });
finding('tcp.analysis.out_of_order', AF.OutOfOrder, 'This frame is a (suspected) out-of-order segment', 'Warning');
finding('tcp.analysis.lost_segment', AF.LostSegment, 'Previous segment(s) not captured (common at capture start)', 'Warning');
finding('tcp.analysis.ack_lost_segment', AF.AckedUnseen, 'ACKed segment that wasn\'t captured (common at capture start)', 'Warning');
finding('tcp.analysis.window_update', AF.WindowUpdate, 'TCP window update', 'Chat');
finding('tcp.analysis.window_full', AF.WindowFull, 'TCP window specified by the receiver is now completely full', 'Warning');
finding('tcp.analysis.keep_alive', AF.KeepAlive, 'TCP keep-alive segment', 'Note');
finding('tcp.analysis.keep_alive_ack', AF.KeepAliveAck, 'ACK to a TCP keep-alive segment', 'Note');
// Twice, as in tshark: the flag under the flags, and the expert item of the same name that
// Wireshark hangs on duplicate_ack_frame.
defineField({
  name: 'tcp.analysis.duplicate_ack', label: 'Duplicate ACK', type: FT.None, proto: 'tcp', generated: true,
  parent: [FLAGS, 'tcp.analysis.duplicate_ack_frame'], parentOf: (_d, i) => i,
  expert: { severity: 'Note', group: 'Sequence' }, expertAt: (_d, i) => i === 1,
  heading: (d, i) => (i === 0 ? 'This is a TCP duplicate ack' : `Duplicate ACK (#${d.tcp.duplicateAckNum})`),
  count: (d) => ((d.tcp.flags & AF.DuplicateAck) !== 0 ? 1 : 0) + (d.tcp.duplicateAckNum > 0 ? 1 : 0),
});
finding('tcp.analysis.zero_window_probe', AF.ZeroWindowProbe, 'TCP Zero Window Probe', 'Note');
finding('tcp.analysis.zero_window', AF.ZeroWindow, 'TCP Zero Window segment', 'Warning');
finding('tcp.analysis.zero_window_probe_ack', AF.ZeroWindowProbeAck, 'ACK to a TCP Zero Window Probe', 'Note');
defineField({
  name: 'tcp.analysis.duplicate_ack_num', valueBits: 32, label: 'Duplicate ACK #', type: FT.UInt, proto: 'tcp', parent: ANALYSIS, generated: true,
  count: once((d) => d.tcp.duplicateAckNum > 0), num: (d) => d.tcp.duplicateAckNum,
});
defineField({
  name: 'tcp.analysis.duplicate_ack_frame', label: 'Duplicate to the ACK in frame', type: FT.UInt, ftype: 'FT_FRAMENUM', proto: 'tcp', parent: ANALYSIS, generated: true,
  count: once((d) => d.tcp.duplicateAckNum > 0), num: (d) => d.tcp.dupAckOf,
});

// The payload; and the part of it that waits in reassembly for a later segment, as Wireshark's tree
// shows it (the whole payload of a segment that only carries a middle piece).
const hasPayload = (d: Dissection): boolean => d.tcpOff >= 0 && d.payloadCapLen > 0;
// The data of a reset is the sender's reason for it (RFC 9293 §3.5.3), and Wireshark reads it as text
// up to its first NUL, in place of the payload.
export const isResetCause = (d: Dissection): boolean => hasPayload(d) && (d.tcpFlags & tcp.TH_RST) !== 0;
function resetCauseEnd(d: Dissection): number {
  const end = d.payloadOff + d.payloadCapLen;
  const nul = d.buf.indexOf(0, d.payloadOff);
  return nul >= 0 && nul < end ? nul : end;
}
defineField({
  name: 'tcp.reset_cause', label: 'Reset cause', type: FT.String, proto: 'tcp', count: once(isResetCause),
  text: (d) => asciiText(d.buf, d.payloadOff, resetCauseEnd(d) - d.payloadOff), range: (d, _i, o) => o.set(d.buf, d.payloadOff, d.payloadCapLen),
});
defineField({
  name: '_ws.string.trailing_stray_characters', label: 'Trailing stray characters', type: FT.None, proto: 'tcp', parent: 'tcp.reset_cause',
  expert: { severity: 'Warning', group: 'Undecoded' }, text: () => 'Trailing stray characters',
  count: once((d) => {
    if (!isResetCause(d)) return false;
    const end = d.payloadOff + d.payloadCapLen;
    for (let p = resetCauseEnd(d); p < end; p++) if (d.buf[p] !== 0) return true;
    return false;
  }),
});
defineField({
  name: 'tcp.payload', label: 'TCP payload', type: FT.Bytes, proto: 'tcp', count: once((d) => hasPayload(d) && !isResetCause(d)),
  bytes: (d, _i, o) => o.set(d.buf, d.payloadOff, d.payloadCapLen), heading: (d) => `TCP payload (${d.payloadCapLen} byte${d.payloadCapLen === 1 ? '' : 's'})`,
});
// What only tshark's second pass knows (-2): the later frame where the PDU this segment carries a
// piece of was completed, whose tcp.segment list names this frame.
defineForwardRef({
  name: 'tcp.reassembled_in', label: 'Reassembled PDU in frame', proto: 'tcp', backward: 'tcp.segment',
  // No bytes of its own: it stands where TCP's reassembly was handed the bytes, the TCP header, or
  // the payload when a tunnel (SOCKS) hands what it carries back to TCP, as in tshark's PDML.
  range: (d, _i, o) => o.set(d.buf, tunnelPrefix(d) !== null ? d.payloadOff : d.tcpOff, 0),
});
// A retransmitted or out-of-order segment is handed to no protocol (tcp.no_subdissector_on_error):
// all of it is segment data, as Wireshark's tree shows it; a spurious retransmission's is not.
const notHandedOn = (d: Dissection): boolean =>
  (d.tcp.flags & (AF.Retransmission | AF.OutOfOrder)) !== 0 && (d.tcp.flags & AF.SpuriousRetransmission) === 0;
const segmentDataOff = (d: Dissection): number => (notHandedOn(d) ? d.payloadOff : d.tcp.segmentDataOff);
const segmentDataLen = (d: Dissection): number => (notHandedOn(d) ? d.payloadCapLen : d.tcp.segmentDataEnd - d.tcp.segmentDataOff);
defineField({
  name: 'tcp.segment_data', label: 'TCP segment data', type: FT.Bytes, proto: 'tcp', count: once((d) => hasPayload(d) && segmentDataOff(d) >= d.payloadOff && segmentDataLen(d) > 0),
  bytes: (d, _i, o) => o.set(d.buf, segmentDataOff(d), segmentDataLen(d)), heading: (d) => `TCP segment data (${segmentDataLen(d)} byte${segmentDataLen(d) === 1 ? '' : 's'})`,
});

// The PDU this frame completed from earlier segments, as Wireshark's show_fragment_tree lists it: a
// subtree of its own at the top of the tree, after TCP and before what the PDU carries.
const SEGMENTS = 'tcp.segments';
const hasReassembled = once((d) => reassembledPduOf(d) !== null);
const reassembled = (d: Dissection) => reassembledPduOf(d)!;
/** Where segment i's bytes start in the reassembled PDU. */
function segmentStart(d: Dissection, i: number): number {
  const r = reassembled(d);
  let at = 0;
  for (let k = 0; k < i; k++) at += r.segmentLen[k];
  return at;
}
const inSegments = { proto: 'tcp', treeOf: SEGMENTS, generated: true } as const;
defineField({
  ...inSegments, name: SEGMENTS, label: 'Reassembled TCP Segments', type: FT.None, fieldsFrom: SEGMENTS, rootAfter: 'tcp', count: hasReassembled,
  heading: (d) => { const r = reassembled(d); return fragmentsHeading(r.segments, 'Reassembled TCP Segments', r.len, r.segmentFrame, r.segmentLen, 0, r.listed); },
  range: (d, _i, o) => { const r = reassembled(d); return o.set(r.buf, 0, r.len); },
});
defineField({
  ...inSegments, name: 'tcp.segment', label: 'TCP Segment', type: FT.UInt, ftype: 'FT_FRAMENUM', count: (d) => reassembledPduOf(d)?.listed ?? 0,
  num: (d, i) => reassembled(d).segmentFrame[i],
  heading: (d, i) => fragmentLine(reassembled(d).segmentFrame[i], segmentStart(d, i), reassembled(d).segmentLen[i]),
  range: (d, i, o) => o.set(reassembled(d).buf, segmentStart(d, i), reassembled(d).segmentLen[i]),
});
defineField({ ...inSegments, name: 'tcp.segment.count', valueBits: 32, label: 'Segment count', type: FT.UInt, count: hasReassembled, num: (d) => reassembled(d).segments });
defineField({ ...inSegments, name: 'tcp.reassembled.length', valueBits: 32, label: 'Reassembled TCP length', type: FT.UInt, count: hasReassembled, num: (d) => reassembled(d).len });
defineField({
  ...inSegments, name: 'tcp.reassembled.data', label: 'Reassembled TCP Data', type: FT.Bytes, count: hasReassembled,
  bytes: (d, _i, o) => { const r = reassembled(d); return o.set(r.buf, 0, r.len); },
});

const FLAG_LETTERS = 'RRRACEUAPRSF';
const MIDDLE_DOT = '\u00b7';

/** tcp.flags.str as Wireshark 4 writes it; with Accurate ECN the AE/CWR/ECE bits of a non-SYN show the ACE counter. */
export function tcpFlagsStr(d: Dissection): string {
  const f = d.tcpFlags;
  let s = '';
  for (let i = 0; i < 12; i++) {
    if (i === 3 && d.tcp.useAce && (f & tcp.TH_SYN) === 0) {
      s += '-' + ((f >> 6) & 7) + '-';
      i += 2;
      continue;
    }
    s += f & (1 << (11 - i)) ? FLAG_LETTERS[i] : MIDDLE_DOT;
  }
  return s;
}

const FLAG_NAMES: [number, string][] = [
  [tcp.TH_FIN, 'FIN'], [tcp.TH_SYN, 'SYN'], [tcp.TH_RST, 'RST'], [tcp.TH_PSH, 'PSH'], [tcp.TH_ACK, 'ACK'],
  [tcp.TH_URG, 'URG'], [tcp.TH_ECE, 'ECE'], [tcp.TH_CWR, 'CWR'], [tcp.TH_AE, 'AE'], [tcp.TH_RES, 'Reserved'],
];

const ACE_BITS = tcp.TH_AE | tcp.TH_CWR | tcp.TH_ECE;

/**
 * Flags as the Info column lists them: `[SYN, ACK]`, `[FIN, PSH, ACK]`; `<None>` when none are set.
 * With Accurate ECN in use (d.tcp.useAce) AE, CWR and ECE are one counter: `[ACK, ACE=5]`.
 */
export function tcpFlagsList(flags: number, useAce = false): string {
  let s = '';
  for (const [bit, name] of FLAG_NAMES) {
    if (useAce && (bit & ACE_BITS)) continue;
    if (flags & bit) s += (s ? ', ' : '') + name;
  }
  if (useAce) s += (s ? ', ' : '') + 'ACE=' + ((flags >> 6) & 7);
  return s || '<None>';
}

// The SACK option's block count, and its first block again when that block is a D-SACK (RFC 2883
// §4: below the cumulative ACK, or inside the second block). They follow the blocks in the tree.
const sackOption = (d: Dissection): number => optionAt(d, 0, (k) => k === tcp.TCPOPT_SACK);
const afterSack = (step: number) => (d: Dissection): number => { const p = sackOption(d); return p + optionLength(d, p) + step; };
defineField({
  name: 'tcp.options.sack.count', valueBits: 8, label: 'TCP SACK Count', type: FT.UInt, proto: 'tcp', generated: true, parent: 'tcp.options.sack',
  count: once((d) => d.sackCount > 0), num: (d) => d.sackCount, range: (d, _i, o) => o.set(d.buf, sackOption(d), 0), sortKey: afterSack(0),
});
function isDsack(d: Dissection): boolean {
  if (d.sackCount === 0) return false;
  const le = d.buf.readUInt32BE(d.sackOff[0]), re = d.buf.readUInt32BE(d.sackOff[0] + 4);
  if (((le - d.ackRaw) | 0) < 0) return true;
  if (d.sackCount < 2) return false;
  const le2 = d.buf.readUInt32BE(d.sackOff[1]), re2 = d.buf.readUInt32BE(d.sackOff[1] + 4);
  return ((le - le2) | 0) >= 0 && ((re2 - re) | 0) >= 0;
}
const hasDsack = once(isDsack);
defineField({
  name: 'tcp.options.sack.dsack_le', valueBits: 32, label: 'TCP D-SACK Left Edge', type: FT.UInt, proto: 'tcp', parent: 'tcp.options.sack', count: hasDsack,
  heading: (d) => `D-SACK Left Edge = ${d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[0]))} (relative)`,
  num: (d) => d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[0])), range: (d, _i, o) => o.set(d.buf, d.sackOff[0], 4), sortKey: afterSack(1),
});
defineField({
  name: 'tcp.options.sack.dsack_re', valueBits: 32, label: 'TCP D-SACK Right Edge', type: FT.UInt, proto: 'tcp', parent: 'tcp.options.sack', count: hasDsack,
  heading: (d) => `D-SACK Right Edge = ${d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[0] + 4))} (relative)`,
  num: (d) => d.tcp.sackRelative(d.buf.readUInt32BE(d.sackOff[0] + 4)), range: (d, _i, o) => o.set(d.buf, d.sackOff[0] + 4, 4), sortKey: afterSack(2),
});
defineField({
  name: '_text.tcp.dsack', label: 'D-SACK Sequence', type: FT.None, proto: 'tcp', textNode: true, parent: 'tcp.options.sack', count: hasDsack,
  heading: () => 'D-SACK Sequence', range: (d, _i, o) => o.set(d.buf, d.sackOff[0], 8), sortKey: afterSack(3),
});
defineField({
  name: 'tcp.options.sack.dsack', label: 'D-SACK Sequence', type: FT.None, proto: 'tcp', parent: '_text.tcp.dsack', expert: { severity: 'Warning', group: 'Sequence' },
  count: hasDsack, text: () => 'D-SACK Sequence', range: (d, _i, o) => o.set(d.buf, d.sackOff[0], 0),
});
