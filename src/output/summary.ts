// The packet-list columns (Source, Destination, Protocol, Info) as Wireshark fills them. Built only
// for rows that are displayed; application-layer modules (TLS, …) add their own summaries through
// registerAppSummary so this file need not know them.

import { Dissection, Proto, Malformed, PROTO_NAMES, isIpv6Extension } from '../decode/dissection';
import { PROTO_LABELS, registeredProtocol, topRegisteredLayer, unclaimedEtherType } from '../decode/protocol-registry';
import { ETHERTYPE_NAMES } from '../fields/ethertype-names';
import { ETH_SRC, ETH_DST, SLL_PKTTYPE, SLL_HALEN, SLL_ADDR, SLL2_HALEN, SLL2_ADDR } from '../decode/link';
import { IP4_SRC, IP4_DST, IP6_SRC, IP6_DST } from '../decode/ip';
import * as tcp from '../decode/tcp';
import { TcpAnalysisFlag as AF } from '../analysis/tcp-analysis';
import { pduFrameOf, PduRole, REASSEMBLED_PDU, PACKET_SIZE_LIMITED } from '../analysis/pdu-frame';
import { ipv4Shown, ipv6Shown, macShown, nameResolution, portInfo } from '../fields/names';
import { tcpFlagsList } from '../fields/tcp';
import { TextWriter, StringBuilder } from './text-writer';

export const RIGHT_ARROW = '\u2192';

/** Protocol and Info text an application-layer dissector contributes, or null when it has nothing. */
export interface AppSummary {
  protocol: string;
  info: string;
}
type AppSummarizer = (d: Dissection) => AppSummary | null;
const appSummarizers: AppSummarizer[] = [];

export function registerAppSummary(fn: AppSummarizer): void {
  appSummarizers.push(fn);
}

export function sourceColumn(d: Dissection): string {
  if (d.netOff >= 0) return d.netVersion === 4 ? ipv4Shown(d.buf, d.netOff + IP4_SRC) : ipv6Shown(d.buf, d.netOff + IP6_SRC);
  if (d.ethOff >= 0) return macShown(d.buf, d.ethOff + ETH_SRC);
  if (d.sllOff >= 0) return sllSource(d);
  return '';
}

/** A cooked capture's link-layer address, the only address it has (the sender's), when it is a MAC. */
function sllSource(d: Dissection): string {
  const v1 = d.sllVersion === 1;
  const lenAt = d.sllOff + (v1 ? SLL_HALEN : SLL2_HALEN), addrAt = d.sllOff + (v1 ? SLL_ADDR : SLL2_ADDR);
  if (addrAt + 6 > d.frameEnd) return '';
  const len = v1 ? d.buf.readUInt16BE(lenAt) : d.buf[lenAt];
  return len === 6 ? macShown(d.buf, addrAt) : '';
}

export function destinationColumn(d: Dissection): string {
  if (d.netOff >= 0) return d.netVersion === 4 ? ipv4Shown(d.buf, d.netOff + IP4_DST) : ipv6Shown(d.buf, d.netOff + IP6_DST);
  if (d.ethOff >= 0) return macShown(d.buf, d.ethOff + ETH_DST);
  return '';
}

/** What the frame's topmost registered protocol, or else the first summarizer that recognises the frame, says; or null. */
export function appSummary(d: Dissection): AppSummary | null {
  const framed = pduFrameOf(d);
  if (framed !== null && framed.role === PduRole.Truncated) {
    const p = registeredProtocol(framed.proto);
    return { protocol: p?.spec.label ?? 'TCP', info: framed.headline + PACKET_SIZE_LIMITED };
  }
  if (framed !== null && framed.role === PduRole.TruncatedBeforeProtocol) return { protocol: 'TCP', info: tcpInfo(d) + PACKET_SIZE_LIMITED };
  if (framed !== null && framed.role !== PduRole.None) {
    // Only pieces of a PDU that a later frame completes: TCP names the frame, as in tshark.
    const before = framed.role === PduRole.PieceWithHeadline ? framed.headline : tcpInfo(d);
    return { protocol: 'TCP', info: before + ' ' + REASSEMBLED_PDU };
  }
  const top = topRegisteredLayer(d);
  if (top !== undefined && top.spec.info !== undefined) {
    const info = top.spec.info(d, top.layer(d));
    if (info !== null) return { protocol: top.spec.column !== undefined ? top.spec.column(d, top.layer(d)) : top.spec.label, info };
  }
  for (const fn of appSummarizers) {
    const s = fn(d);
    if (s !== null) return s;
  }
  return null;
}

export function protocolColumn(d: Dissection): string {
  const app = appSummary(d);
  if (app !== null) return app.protocol;
  return transportProtocol(d);
}

/**
 * The stack index of the layer that names the frame in the Protocol and Info columns: the innermost
 * one, as in Wireshark, where each dissector overwrites the columns, except that the packet an
 * ICMP error quotes does not (Wireshark makes the columns read-only for it), and that payload and
 * TLS records are named by their summarizers. -1 for a frame with no layer.
 */
export function namingLayer(d: Dissection): number {
  let k = -1;
  for (let i = 0; i < d.stackLen; i++) {
    const p = d.stack[i];
    if (p === Proto.Data || p === Proto.Tls || isIpv6Extension(p)) continue;
    k = i;
    if (d.inIcmpError && (p === Proto.Icmp || p === Proto.Icmpv6)) break;
  }
  return k;
}

/** Protocol column as the link, network and transport layers name it, without application summarizers. */
export function transportProtocol(d: Dissection): string {
  const k = namingLayer(d);
  if (k < 0) return `LINKTYPE_${d.linkType}`;
  // Wireshark's MPTCP option dissector names the segment that carries one.
  if (d.stack[k] === Proto.Tcp && d.optMptcpOff >= 0 && !d.inIcmpError) return 'MPTCP';
  // Wireshark's ethertype dissector names a frame whose EtherType no dissector takes by the number
  // (the link layer is then the naming layer, the data its payload went to not counting).
  if (unclaimedEtherType(d)) return `0x${d.etherType.toString(16).padStart(4, '0')}`;
  return PROTO_LABELS[d.stack[k]] ?? PROTO_NAMES[d.stack[k]];
}

export function infoColumn(d: Dissection, app: AppSummary | null = appSummary(d)): string {
  return app !== null ? withMalformedMark(d, app.info) : transportInfo(d);
}

/**
 * Info column as the transport layer writes it, without asking application summarizers: the packet
 * store uses it for rows it knows have no application summary.
 */
export function transportInfo(d: Dissection): string {
  const sb = new StringBuilder();
  writeTransportInfo(d, sb);
  return sb.text;
}

export function writeTransportInfo(d: Dissection, w: TextWriter): void {
  const k = namingLayer(d);
  const p = k >= 0 ? d.stack[k] : Proto.None;
  if (p === Proto.Tcp) writeTcpInfo(d, w);
  else if (p === Proto.Udp) {
    // The innermost UDP header: a tunnel's inner datagram, not the outer one that d.udpOff keeps.
    const off = d.stackOff[k];
    writePort(w, 'udp', d.buf.readUInt16BE(off));
    w.write(ARROW_BETWEEN);
    writePort(w, 'udp', d.buf.readUInt16BE(off + 2));
    w.write(' Len=');
    w.writeUInt(d.payloadLen);
  } else if (p === Proto.Icmp || p === Proto.Icmpv6) w.write(icmpInfo(d));
  else if (d.netOff >= 0 && d.fragmented) w.write('Fragmented IP protocol');
  else if (unclaimedEtherType(d)) w.write(unclaimedEtherTypeInfo(d, p, k + 1 < d.stackLen));
  else if (k + 1 < d.stackLen && d.stack[k + 1] === Proto.Data && (p === Proto.Eth || p === Proto.Sll || p === Proto.Sll2)) w.write(linkInfo(d, p));
  if (d.malformed !== Malformed.None) w.write(MALFORMED);
}

/**
 * Info of a frame whose EtherType no dissector takes, its link layer `link` naming it: the name
 * Wireshark's ethertype dissector writes when its payload was handed on (to data) and the type has
 * one; else what the link layer wrote (Ethernet II, the VLAN tag's priority and ID).
 */
function unclaimedEtherTypeInfo(d: Dissection, link: Proto, handedOn: boolean): string {
  const named = handedOn ? ETHERTYPE_NAMES[d.etherType] : undefined;
  if (named !== undefined) return named;
  if (link === Proto.Vlan && d.vlanCount > 0) {
    const tci = d.buf.readUInt16BE(d.vlanOff[d.vlanCount - 1]);
    return `PRI: ${tci >> 13}  DEI: ${(tci >> 12) & 1}  ID: ${tci & 0x0fff}`;
  }
  // A cooked capture's packet type stands only when its payload went on (as for -d …,data).
  return link === Proto.Eth || (handedOn && link !== Proto.Vlan) ? linkInfo(d, link) : '';
}

// What Linux cooked capture's packet type says, as its dissector writes it in the Info column.
const SLL_PACKET_TYPES = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us'];

/**
 * The Info text a link layer writes before it hands its payload on, which stands when the payload
 * goes to the data dissector (-d ethertype==…,data): "Ethernet II", or the cooked capture's packet type.
 */
function linkInfo(d: Dissection, link: Proto): string {
  if (link === Proto.Eth) return 'Ethernet II';
  // tshark 4.0 reads version 2's type one byte late, from the address length (a MAC's: "Unknown (6)").
  const type = d.sllVersion === 1 ? d.buf.readUInt16BE(d.sllOff + SLL_PKTTYPE) : d.buf[d.sllOff + SLL2_HALEN];
  return SLL_PACKET_TYPES[type] ?? `Unknown (${type})`;
}

/** A port in the Info column: `http(80)` with -N t when it has a name, else the number (no text made without -N t). */
function writePort(w: TextWriter, kind: 'tcp' | 'udp', port: number): void {
  if (nameResolution.transport) w.write(portInfo(kind, port));
  else w.writeUInt(port);
}

/**
 * The mark of a malformed frame, right after whatever the Info column says, without a space: Wireshark
 * appends it to the column as it stands when the dissector gives up.
 */
const MALFORMED = '[Malformed Packet]';
/** The arrow between two addresses or two ports, with its spaces. */
export const ARROW_BETWEEN = ` ${RIGHT_ARROW} `;

function withMalformedMark(d: Dissection, s: string): string {
  return d.malformed !== Malformed.None ? s + MALFORMED : s;
}

/** infoColumn(d, app) through the sanitizer, written without building the column's string. */
export function writeAppInfo(d: Dissection, app: AppSummary, w: TextWriter): void {
  w.writeSanitized(app.info);
  if (d.malformed !== Malformed.None) w.write(MALFORMED);
}

// Wireshark prints the findings group by group (ports reused, retransmissions, lost, window,
// keep-alive, duplicate ACK, zero window), each prepended to the Info column, so they read in the
// reverse order; the duplicate ACK's text is built in tcpAnalysisPrefix.
const ANALYSIS_PREFIXES: [number, string][] = [
  [AF.ZeroWindowProbeAck, '[TCP ZeroWindowProbeAck] '],
  [AF.ZeroWindow, '[TCP ZeroWindow] '],
  [AF.ZeroWindowProbe, '[TCP ZeroWindowProbe] '],
  [AF.DuplicateAck, ''],
  [AF.KeepAliveAck, '[TCP Keep-Alive ACK] '],
  [AF.KeepAlive, '[TCP Keep-Alive] '],
  [AF.WindowFull, '[TCP Window Full] '],
  [AF.WindowUpdate, '[TCP Window Update] '],
  [AF.AckedUnseen, '[TCP ACKed unseen segment] '],
  [AF.LostSegment, '[TCP Previous segment not captured] '],
  [AF.OutOfOrder, '[TCP Out-Of-Order] '],
  [AF.SpuriousRetransmission, '[TCP Spurious Retransmission] '],
  [AF.FastRetransmission, '[TCP Fast Retransmission] '],
  [AF.Retransmission, '[TCP Retransmission] '],
  [AF.PortsReused, '[TCP Port numbers reused] '],
];

/** Wireshark's expert prefixes for a TCP segment (`[TCP Retransmission] `), '' when none. */
export function tcpAnalysisPrefix(d: Dissection): string {
  const f = d.tcp.flags;
  if (f === 0) return '';
  let s = '';
  for (const [bit, text] of ANALYSIS_PREFIXES) {
    if ((f & bit) === 0) continue;
    s += bit === AF.DuplicateAck ? `[TCP Dup ACK ${d.tcp.dupAckOf}#${d.tcp.duplicateAckNum}] ` : text;
  }
  return s;
}

export function tcpInfo(d: Dissection): string {
  const sb = new StringBuilder();
  writeTcpInfo(d, sb);
  return sb.text;
}

// The bracketed flag list of each flags value (12 bits, with and without AccECN's ACE), made once.
const flagsText: string[] = [];

function flagsListOf(flags: number, useAce: boolean): string {
  const key = (flags & 0xfff) | (useAce ? 0x1000 : 0);
  return (flagsText[key] ??= ` [${tcpFlagsList(flags & 0xfff, useAce)}] Seq=`);
}

export function writeTcpInfo(d: Dissection, w: TextWriter): void {
  const t = d.tcp;
  if (t.flags !== 0) w.write(tcpAnalysisPrefix(d));
  writePort(w, 'tcp', d.srcPort);
  w.write(ARROW_BETWEEN);
  writePort(w, 'tcp', d.dstPort);
  w.write(flagsListOf(d.tcpFlags, t.useAce));
  w.writeUInt(t.stream >= 0 ? t.relSeq : d.seqRaw);
  if (d.tcpFlags & tcp.TH_ACK) {
    w.write(' Ack=');
    w.writeUInt(t.stream >= 0 ? t.relAck : d.ackRaw);
  }
  w.write(' Win=');
  w.writeUInt(t.windowSize >= 0 ? t.windowSize : d.window);
  if (d.tcpFlags & tcp.TH_URG) {
    w.write(' Urg=');
    w.writeUInt(d.urgentPtr);
  }
  // Wireshark knows no segment length for a header in an IP fragment or quoted by an ICMP error.
  if (!d.fragmented && !d.inIcmpError) {
    w.write(' Len=');
    w.writeUInt(d.payloadLen);
  }
  writeTcpOptionsInfo(d, w);
}

/** The options part of TCP's Info (` MSS=1460 SACK_PERM TSval=… TSecr=… WS=128`), in header order. */
function writeTcpOptionsInfo(d: Dissection, w: TextWriter): void {
  if (d.tcpOff < 0 || d.tcpOff + d.tcpHdrLen > d.frameEnd) return;
  const buf = d.buf;
  let p = d.tcpOff + tcp.TCP_MIN_HEADER_LEN;
  const end = d.tcpOff + d.tcpHdrLen;
  while (p < end) {
    const kind = buf[p];
    if (kind === tcp.TCPOPT_EOL) break;
    if (kind === tcp.TCPOPT_NOP) { p++; continue; }
    if (end - p < 2) break;
    const len = buf[p + 1];
    if (len < 2 || len > end - p) break;
    switch (kind) {
      case tcp.TCPOPT_MSS:
        if (len === 4) { w.write(' MSS='); w.writeUInt(buf.readUInt16BE(p + 2)); }
        break;
      case tcp.TCPOPT_WSCALE:
        if (len === 3) { w.write(' WS='); w.writeUInt(2 ** Math.min(buf[p + 2], 14)); }
        break;
      case tcp.TCPOPT_SACK_PERM:
        if (len === 2) w.write(' SACK_PERM');
        break;
      case tcp.TCPOPT_TIMESTAMP:
        if (len === 10) {
          w.write(' TSval=');
          w.writeUInt(buf.readUInt32BE(p + 2));
          w.write(' TSecr=');
          w.writeUInt(buf.readUInt32BE(p + 6));
        }
        break;
      case TCPOPT_TFO:
        w.write(len > 2 ? ' TFO=C' : ' TFO=R');
        break;
      case TCPOPT_ACCECN0: case TCPOPT_ACCECN1:
        w.write(accEcnInfo(buf, p + 2, p + len, kind === TCPOPT_ACCECN0));
        break;
      case TCPOPT_EXPERIMENT1: case TCPOPT_EXPERIMENT2:
        // RFC 6994 experiment IDs: TCP Fast Open's and Accurate ECN's.
        if (len >= 4) {
          const exid = buf.readUInt16BE(p + 2);
          if (exid === EXID_TFO) w.write(len > 4 ? ' TFO=C' : ' TFO=R');
          else if (exid === EXID_ACCECN0 || exid === EXID_ACCECN1) w.write(accEcnInfo(buf, p + 4, p + len, exid === EXID_ACCECN0));
        }
        break;
      case tcp.TCPOPT_SACK:
        for (let q = p + 2; q + 8 <= p + len; q += 8) {
          w.write(' SLE=');
          w.writeUInt(d.tcp.sackRelative(buf.readUInt32BE(q)));
          w.write(' SRE=');
          w.writeUInt(d.tcp.sackRelative(buf.readUInt32BE(q + 4)));
        }
        break;
    }
    p += len;
  }
}

// Option kinds the Info column names beyond tcp.ts's (IANA "TCP Option Kind Numbers").
const TCPOPT_TFO = 34; // RFC 7413
const TCPOPT_ACCECN0 = 172; // RFC 9768 §3.2.3
const TCPOPT_ACCECN1 = 174;
const TCPOPT_EXPERIMENT1 = 253; // RFC 4727
const TCPOPT_EXPERIMENT2 = 254;
const EXID_TFO = 0xf989;
const EXID_ACCECN0 = 0xacc0;
const EXID_ACCECN1 = 0xacc1;

/** AccECN counters as Wireshark's Info shows them: 24-bit fields, EE0B ECEB EE1B (AccECN1: EE1B ECEB EE0B). */
function accEcnInfo(buf: Buffer, p: number, end: number, order0: boolean): string {
  const names = order0 ? ['EE0B', 'ECEB', 'EE1B'] : ['EE1B', 'ECEB', 'EE0B'];
  let s = '';
  for (let i = 0; i < 3 && p + 3 <= end; i++, p += 3) s += ` ${names[i]}=${buf.readUIntBE(p, 3)}`;
  return s;
}

const ICMP_TYPES: Record<number, string> = {
  0: 'Echo (ping) reply', 3: 'Destination unreachable', 5: 'Redirect', 8: 'Echo (ping) request',
  11: 'Time-to-live exceeded', 12: 'Parameter problem', 13: 'Timestamp request', 14: 'Timestamp reply',
};
const ICMPV6_TYPES: Record<number, string> = {
  1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem',
  128: 'Echo (ping) request', 129: 'Echo (ping) reply', 133: 'Router Solicitation', 134: 'Router Advertisement',
  135: 'Neighbor Solicitation', 136: 'Neighbor Advertisement', 137: 'Redirect', 139: 'Node Information Query',
  140: 'Node Information Reply', 143: 'Multicast Listener Report Message v2',
};

function icmpInfo(d: Dissection): string {
  const type = d.buf[d.icmpOff];
  const names = d.netVersion === 6 ? ICMPV6_TYPES : ICMP_TYPES;
  return names[type] ?? `Type ${type}`;
}
