// TCP header fields, and the analysis fields that src/analysis fills in d.tcp.

import { Dissection } from '../decode/dissection';
import * as tcp from '../decode/tcp';
import { TcpAnalysisFlag as AF } from '../analysis/tcp-analysis';
import { defineField, FT, once } from './registry';

const hasTcp = once((d) => d.tcpOff >= 0);
const flag = (bit: number) => (d: Dissection): number => ((d.tcpFlags & bit) !== 0 ? 1 : 0);

defineField({
  name: 'tcp', label: 'Transmission Control Protocol', type: FT.None, proto: 'tcp', count: hasTcp,
  text: (d) => {
    let s = `Transmission Control Protocol, Src Port: ${d.srcPort}, Dst Port: ${d.dstPort}`;
    if (d.tcp.stream >= 0) {
      s += `, Seq: ${d.tcp.relSeq}`;
      if (d.tcpFlags & tcp.TH_ACK) s += `, Ack: ${d.tcp.relAck}`;
    }
    return d.inIcmpError || d.fragmented ? s : s + `, Len: ${d.payloadLen}`;
  },
  range: (d, _i, out) => out.set(d.buf, d.tcpOff, Math.min(d.tcpHdrLen, d.frameEnd - d.tcpOff)),
});
defineField({ name: 'tcp.srcport', valueBits: 16, label: 'Source Port', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.srcPort, range: (d, _i, o) => o.set(d.buf, d.tcpOff, 2) });
defineField({ name: 'tcp.dstport', valueBits: 16, label: 'Destination Port', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.dstPort, range: (d, _i, o) => o.set(d.buf, d.tcpOff + 2, 2) });
defineField({
  name: 'tcp.port', valueBits: 16, hidden: true, label: 'Source or Destination Port', type: FT.UInt, proto: 'tcp', count: (d) => (d.tcpOff >= 0 ? 2 : 0),
  num: (d, i) => (i === 0 ? d.srcPort : d.dstPort),
});
defineField({
  name: 'tcp.stream', valueBits: 32, label: 'Stream index', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcp.stream >= 0), num: (d) => d.tcp.stream,
});
// A header quoted in an ICMP error, or in an IP fragment, shows its raw sequence number as tcp.seq
// and has no length, as in Wireshark.
const hasSegment = once((d) => d.tcpOff >= 0 && !d.inIcmpError && !d.fragmented);
defineField({ name: 'tcp.len', valueBits: 32, label: 'TCP Segment Len', type: FT.UInt, proto: 'tcp', count: hasSegment, num: (d) => d.payloadLen });
defineField({
  name: 'tcp.seq', valueBits: 32, label: 'Sequence Number', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcp.stream >= 0), num: (d) => d.tcp.relSeq,
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_SEQ, 4),
});
defineField({ name: 'tcp.seq_raw', valueBits: 32, label: 'Sequence Number (raw)', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcpOff >= 0 && !d.inIcmpError), num: (d) => d.seqRaw, range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_SEQ, 4) });
defineField({
  name: 'tcp.nxtseq', valueBits: 32, label: 'Next Sequence Number', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcp.stream >= 0 && !d.inIcmpError && !d.fragmented), num: (d) => d.tcp.nxtSeq,
});
// Wireshark shows tcp.ack on every segment: relative with the ACK flag, the raw field without it.
defineField({
  name: 'tcp.ack', valueBits: 32, label: 'Acknowledgment Number', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcp.stream >= 0), num: (d) => d.tcp.relAck,
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_ACK, 4),
});
defineField({ name: 'tcp.ack_raw', valueBits: 32, label: 'Acknowledgment number (raw)', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.ackRaw, range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_ACK, 4) });
defineField({ name: 'tcp.hdr_len', valueBits: 8, label: 'Header Length', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.tcpHdrLen });
defineField({
  name: 'tcp.flags', valueBits: 16, label: 'Flags', type: FT.Hex, hexDigits: 4, proto: 'tcp', count: hasTcp, num: (d) => d.tcpFlags,
  range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_OFFSET_FLAGS, 2),
});
defineField({ name: 'tcp.flags.res', label: 'Reserved', type: FT.Bool, proto: 'tcp', count: hasTcp, num: (d) => ((d.tcpFlags & tcp.TH_RES) !== 0 ? 1 : 0) });
// On a connection that negotiated Accurate ECN (RFC 9768), AE/CWR/ECE of a non-SYN segment are one
// 3-bit counter, and Wireshark shows tcp.flags.ace in place of the three flags.
const aceCounter = (d: Dissection): boolean => d.tcp.useAce && (d.tcpFlags & tcp.TH_SYN) === 0;
const hasEcnFlags = once((d) => d.tcpOff >= 0 && !aceCounter(d));
defineField({ name: 'tcp.flags.ace', valueBits: 8, label: 'ACE', type: FT.UInt, proto: 'tcp', count: once((d) => d.tcpOff >= 0 && aceCounter(d)), num: (d) => (d.tcpFlags >> 6) & 7 });
defineField({ name: 'tcp.flags.ae', label: 'Accurate ECN', type: FT.Bool, proto: 'tcp', count: hasEcnFlags, num: flag(tcp.TH_AE) });
defineField({ name: 'tcp.flags.cwr', label: 'Congestion Window Reduced', type: FT.Bool, proto: 'tcp', count: hasEcnFlags, num: flag(tcp.TH_CWR) });
defineField({ name: 'tcp.flags.ece', label: 'ECN-Echo', type: FT.Bool, proto: 'tcp', count: hasEcnFlags, num: flag(tcp.TH_ECE) });
defineField({ name: 'tcp.flags.urg', label: 'Urgent', type: FT.Bool, proto: 'tcp', count: hasTcp, num: flag(tcp.TH_URG) });
defineField({ name: 'tcp.flags.ack', label: 'Acknowledgment', type: FT.Bool, proto: 'tcp', count: hasTcp, num: flag(tcp.TH_ACK) });
defineField({ name: 'tcp.flags.push', label: 'Push', type: FT.Bool, proto: 'tcp', count: hasTcp, num: flag(tcp.TH_PSH) });
defineField({ name: 'tcp.flags.reset', label: 'Reset', type: FT.Bool, proto: 'tcp', count: hasTcp, num: flag(tcp.TH_RST) });
defineField({ name: 'tcp.flags.syn', label: 'Syn', type: FT.Bool, proto: 'tcp', count: hasTcp, num: flag(tcp.TH_SYN) });
defineField({ name: 'tcp.flags.fin', label: 'Fin', type: FT.Bool, proto: 'tcp', count: hasTcp, num: flag(tcp.TH_FIN) });
defineField({ name: 'tcp.flags.str', label: 'TCP Flags', type: FT.String, proto: 'tcp', count: hasTcp, text: (d) => tcpFlagsStr(d) });
defineField({ name: 'tcp.window_size_value', valueBits: 16, label: 'Window', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.window, range: (d, _i, o) => o.set(d.buf, d.tcpOff + tcp.TCP_WINDOW, 2) });
defineField({
  name: 'tcp.window_size', valueBits: 32, label: 'Calculated window size', type: FT.UInt, proto: 'tcp', count: hasTcp,
  num: (d) => (d.tcp.windowSize >= 0 ? d.tcp.windowSize : d.window),
});
defineField({ name: 'tcp.checksum', valueBits: 16, label: 'Checksum', type: FT.Hex, hexDigits: 4, proto: 'tcp', count: hasTcp, num: (d) => d.buf.readUInt16BE(d.tcpOff + tcp.TCP_CHECKSUM) });
defineField({ name: 'tcp.urgent_pointer', valueBits: 16, label: 'Urgent Pointer', type: FT.UInt, proto: 'tcp', count: hasTcp, num: (d) => d.urgentPtr });
defineField({
  name: 'tcp.options', label: 'Options', type: FT.Bytes, proto: 'tcp', count: once((d) => d.tcpOff >= 0 && d.tcpHdrLen > 20 && d.tcpOff + d.tcpHdrLen <= d.frameEnd),
  bytes: (d, _i, o) => o.set(d.buf, d.tcpOff + 20, d.tcpHdrLen - 20), range: (d, _i, o) => o.set(d.buf, d.tcpOff + 20, d.tcpHdrLen - 20),
});
defineField({ name: 'tcp.options.mss_val', valueBits: 16, label: 'MSS Value', type: FT.UInt, proto: 'tcp', count: once((d) => d.optMss >= 0), num: (d) => d.optMss });
defineField({ name: 'tcp.options.wscale.shift', valueBits: 8, label: 'Shift count', type: FT.UInt, proto: 'tcp', count: once((d) => d.optWscale >= 0), num: (d) => d.optWscale });
defineField({ name: 'tcp.options.wscale.multiplier', valueBits: 16, label: 'Multiplier', type: FT.UInt, proto: 'tcp', count: once((d) => d.optWscale >= 0), num: (d) => 2 ** Math.min(d.optWscale, 14) });
defineField({ name: 'tcp.options.sack_perm', label: 'TCP SACK Permitted Option', type: FT.None, ftype: 'FT_PROTOCOL', proto: 'tcp', count: once((d) => d.optSackPerm) });
defineField({ name: 'tcp.options.timestamp.tsval', valueBits: 32, label: 'Timestamp value', type: FT.UInt, proto: 'tcp', count: once((d) => d.optTsOff >= 0), num: (d) => d.buf.readUInt32BE(d.optTsOff) });
defineField({ name: 'tcp.options.timestamp.tsecr', valueBits: 32, label: 'Timestamp echo reply', type: FT.UInt, proto: 'tcp', count: once((d) => d.optTsOff >= 0), num: (d) => d.buf.readUInt32BE(d.optTsOff + 4) });
// Multipath TCP (RFC 8684): `-Y mptcp` finds the segments that carry its option, as tshark's filter does.
defineField({ name: 'mptcp', label: 'Multipath Transmission Control Protocol', type: FT.None, ftype: 'FT_PROTOCOL', proto: 'tcp', hidden: true, count: once((d) => d.tcpOff >= 0 && d.optMptcpOff >= 0) });
defineField({
  name: 'tcp.options.mptcp.subtype', valueBits: 8, label: 'Multipath TCP subtype', type: FT.UInt, proto: 'tcp', hidden: true,
  count: (d) => (d.tcpOff >= 0 ? d.mptcpCount : 0), num: (d, i) => d.buf[d.mptcpOff[i] + 2] >> 4,
});
defineField({ name: 'tcp.options.sack_le', valueBits: 32, label: 'left edge', type: FT.UInt, proto: 'tcp', count: (d) => d.sackCount, num: (d, i) => d.buf.readUInt32BE(d.sackOff[i]) });
defineField({ name: 'tcp.options.sack_re', valueBits: 32, label: 'right edge', type: FT.UInt, proto: 'tcp', count: (d) => d.sackCount, num: (d, i) => d.buf.readUInt32BE(d.sackOff[i] + 4) });
defineField({
  name: 'tcp.payload', label: 'TCP payload', type: FT.Bytes, proto: 'tcp', count: once((d) => d.tcpOff >= 0 && d.payloadCapLen > 0),
  bytes: (d, _i, o) => o.set(d.buf, d.payloadOff, d.payloadCapLen), range: (d, _i, o) => o.set(d.buf, d.payloadOff, d.payloadCapLen),
});

// tcp.analysis.*: Wireshark's expert findings on sequence analysis
const anyAnalysis = AF.Retransmission | AF.FastRetransmission | AF.SpuriousRetransmission | AF.OutOfOrder | AF.LostSegment |
  AF.DuplicateAck | AF.ZeroWindow | AF.WindowFull | AF.WindowUpdate | AF.KeepAlive | AF.KeepAliveAck |
  AF.ZeroWindowProbe | AF.ZeroWindowProbeAck | AF.AckedUnseen | AF.PortsReused;
defineField({ name: 'tcp.analysis', label: 'SEQ/ACK analysis', type: FT.None, proto: 'tcp', count: once((d) => d.tcp.stream >= 0) });
defineField({ name: 'tcp.analysis.flags', label: 'TCP Analysis Flags', type: FT.None, proto: 'tcp', count: once((d) => (d.tcp.flags & anyAnalysis) !== 0) });
const analysisFlags: [string, number, string][] = [
  ['tcp.analysis.retransmission', AF.Retransmission, 'This frame is a (suspected) retransmission'],
  ['tcp.analysis.fast_retransmission', AF.FastRetransmission, 'This frame is a (suspected) fast retransmission'],
  ['tcp.analysis.spurious_retransmission', AF.SpuriousRetransmission, 'This frame is a (suspected) spurious retransmission'],
  ['tcp.analysis.out_of_order', AF.OutOfOrder, 'This frame is a (suspected) out-of-order segment'],
  ['tcp.analysis.lost_segment', AF.LostSegment, 'Previous segment(s) not captured (common at capture start)'],
  ['tcp.analysis.duplicate_ack', AF.DuplicateAck, 'Duplicate ACK'],
  ['tcp.analysis.zero_window', AF.ZeroWindow, 'TCP Zero Window segment'],
  ['tcp.analysis.window_full', AF.WindowFull, 'TCP window specified by the receiver is now completely full'],
  ['tcp.analysis.window_update', AF.WindowUpdate, 'TCP window update'],
  ['tcp.analysis.keep_alive', AF.KeepAlive, 'TCP keep-alive segment'],
  ['tcp.analysis.keep_alive_ack', AF.KeepAliveAck, 'ACK to a TCP keep-alive segment'],
  ['tcp.analysis.zero_window_probe', AF.ZeroWindowProbe, 'TCP Zero Window Probe'],
  ['tcp.analysis.zero_window_probe_ack', AF.ZeroWindowProbeAck, 'ACK to a TCP Zero Window Probe'],
  ['tcp.analysis.ack_lost_segment', AF.AckedUnseen, 'ACKed segment that wasn\'t captured (common at capture start)'],
  ['tcp.analysis.reused_ports', AF.PortsReused, 'A new tcp session is started with the same ports as an earlier session in this trace'],
];
for (const [name, bit, label] of analysisFlags) {
  defineField({ name, label, type: FT.None, proto: 'tcp', count: once((d) => (d.tcp.flags & bit) !== 0) });
}
defineField({
  name: 'tcp.analysis.duplicate_ack_num', valueBits: 32, label: 'This is a TCP duplicate ack', type: FT.UInt, proto: 'tcp',
  count: once((d) => d.tcp.duplicateAckNum > 0), num: (d) => d.tcp.duplicateAckNum,
});
defineField({
  name: 'tcp.analysis.duplicate_ack_frame', label: 'Duplicate to the ACK in frame', type: FT.UInt, ftype: 'FT_FRAMENUM', proto: 'tcp',
  count: once((d) => d.tcp.duplicateAckNum > 0), num: (d) => d.tcp.dupAckOf,
});
defineField({
  name: 'tcp.analysis.acks_frame', label: 'This is an ACK to the segment in frame', type: FT.UInt, ftype: 'FT_FRAMENUM', proto: 'tcp',
  count: once((d) => d.tcp.acksFrame > 0), num: (d) => d.tcp.acksFrame,
});
defineField({
  name: 'tcp.analysis.ack_rtt', label: 'The RTT to ACK the segment was', type: FT.RelTime, proto: 'tcp',
  count: once((d) => !Number.isNaN(d.tcp.ackRtt)), num: (d) => d.tcp.ackRtt,
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
