// The packet list's model: the text of a row's columns and the class that decides its colour,
// from the index and a re-decoded frame. Knows nothing of the terminal (src/ui/theme.ts maps
// classes to colours); all text it returns is sanitized.

import { Dissection, Proto } from '../decode/dissection';
import { TH_SYN, TH_ACK, TH_FIN, TH_RST, TH_PSH } from '../decode/tcp';
import { TcpAnalysisFlag as AF } from '../analysis/tcp-analysis';
import { transportProtocol, transportInfo, protocolColumn, infoColumn } from '../output/summary';
import { sanitizeText } from '../output/sanitize';
import { isRegistered } from '../decode/protocol-registry';
import { PacketStore } from './packet-store';
import { PacketIndex } from './packet-index';
import { interfaceName, declaredInterfaces } from '../capture/interface-names';
import { CHUNK_BITS, CHUNK_MASK, Misc, NO_STREAM, APP_NOT_STORED, TlsContentBit, TlsHandshakeBit } from './columns';

export const enum TimeFormat {
  Relative = 0,
  Absolute = 1,
  Delta = 2,
  Epoch = 3,
}
export const TIME_FORMAT_NAMES = ['relative', 'absolute', 'delta', 'epoch'];

/** What a row means, most important first; the theme gives each one its colours. */
export const enum RowClass {
  Plain = 0,
  /** Malformed packet. */
  Malformed,
  /** Wireshark's "Bad TCP": retransmissions, lost segments, dup ACKs, zero window … */
  BadTcp,
  Reset,
  /** TLS Client Hello or Server Hello. */
  TlsHello,
  /** Other TLS handshake records. */
  TlsHandshake,
  /** SYN, SYN/ACK and the handshake's final ACK. */
  Handshake,
  /** FIN. */
  Teardown,
  /** TLS records other than handshake (application data, alerts, change cipher spec). */
  Tls,
  /** TCP segments carrying data (PSH). */
  Data,
  Tcp,
  Udp,
  Icmp,
  Arp,
}
export const ROW_CLASS_COUNT = 14;

// Wireshark's "Bad TCP" rule: tcp.analysis.flags && !window_update && !keep_alive && !keep_alive_ack
const BAD_TCP = AF.Retransmission | AF.FastRetransmission | AF.SpuriousRetransmission | AF.OutOfOrder |
  AF.LostSegment | AF.DuplicateAck | AF.ZeroWindow | AF.WindowFull | AF.ZeroWindowProbe | AF.ZeroWindowProbeAck |
  AF.AckedUnseen | AF.PortsReused;

/** Colour class of packet i, from the index alone (no frame is read). */
export function rowClass(ix: PacketIndex, i: number): RowClass {
  const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
  const misc = c.misc[j];
  if (misc & Misc.MalformedMask) return RowClass.Malformed;
  if (c.analysis[j] & BAD_TCP) return RowClass.BadTcp;
  const f = c.tcpFlags[j];
  const stream = c.stream[j];
  if (stream !== NO_STREAM && f & TH_RST) return RowClass.Reset;
  const tls = c.tlsContent[j];
  if (stream !== NO_STREAM) {
    // TLS over TCP only: a QUIC Initial's Client Hello is in a UDP row that does not say so.
    if (c.tlsHandshake[j] & (TlsHandshakeBit.ClientHello | TlsHandshakeBit.ServerHello)) return RowClass.TlsHello;
    if (tls & TlsContentBit.Handshake) return RowClass.TlsHandshake;
    if (f & TH_SYN) return RowClass.Handshake;
    if (f & TH_FIN) return RowClass.Teardown;
    // The handshake's third segment: the client's bare ACK of the SYN/ACK (Seq=1 Ack=1).
    if ((f & 0x1f) === TH_ACK && c.relSeq[j] === 1 && c.relAck[j] === 1 && !(misc & Misc.FromServer) &&
      misc & Misc.AckRelative) return RowClass.Handshake;
    if (tls !== 0 || isTlsApp(ix, c.app[j])) return RowClass.Tls;
    if (f & TH_PSH) return RowClass.Data;
    return RowClass.Tcp;
  }
  switch (c.proto[j]) {
    case Proto.Udp: return RowClass.Udp;
    case Proto.Icmp: case Proto.Icmpv6: return RowClass.Icmp;
    case Proto.Arp: return RowClass.Arp;
    case Proto.Tcp: return RowClass.Tcp;
    // A protocol registered above UDP (DNS, QUIC, DHCP …): Wireshark's default colouring gives
    // these UDP's colour (rows of TCP streams were classed above).
    default: return isRegistered(c.proto[j]) ? RowClass.Udp : RowClass.Plain;
  }
}

/** Whether the application summary stored for a row is TLS's (records whose types the index did not get). */
function isTlsApp(ix: PacketIndex, app: number): boolean {
  if (app === 0 || app === APP_NOT_STORED) return false;
  const p = ix.apps[app]?.protocol ?? '';
  return p.startsWith('TLS') || p.startsWith('SSL');
}

export class RowText {
  no = '';
  time = '';
  /** The interface the packet came from (frame.interface_name, else its id). */
  iface = '';
  src = '';
  dst = '';
  protocol = '';
  length = '';
  info = '';
  cls: RowClass = RowClass.Plain;
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** Seconds and nanoseconds as S.FFFFFF (6 digits) or S.FFFFFFFFF (9); negative differences keep their sign. */
export function secondsText(sec: number, nsec: number, digits: number): string {
  let neg = false;
  if (sec < 0 || (sec === 0 && nsec < 0)) {
    neg = true;
    sec = -sec;
    nsec = -nsec;
  }
  if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  }
  const frac = String(nsec).padStart(9, '0').slice(0, digits);
  return `${neg ? '-' : ''}${sec}.${frac}`;
}

/** The Time column of packet i in the given format. */
export function timeText(ix: PacketIndex, i: number, format: TimeFormat, digits: number): string {
  const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
  const sec = c.tsSec[j], nsec = c.tsNsec[j];
  switch (format) {
    case TimeFormat.Relative: {
      const c0 = ix.chunks[0];
      return secondsText(sec - c0.tsSec[0], nsec - c0.tsNsec[0], digits);
    }
    case TimeFormat.Delta: {
      if (i === 0) return secondsText(0, 0, digits);
      const p = ix.chunks[(i - 1) >>> CHUNK_BITS], pj = (i - 1) & CHUNK_MASK;
      return secondsText(sec - p.tsSec[pj], nsec - p.tsNsec[pj], digits);
    }
    case TimeFormat.Epoch:
      return secondsText(sec, nsec, digits);
    case TimeFormat.Absolute: {
      const t = new Date(sec * 1000);
      return `${t.getFullYear()}-${pad2(t.getMonth() + 1)}-${pad2(t.getDate())} ` +
        `${pad2(t.getHours())}:${pad2(t.getMinutes())}:${pad2(t.getSeconds())}.${String(nsec).padStart(9, '0').slice(0, digits)}`;
    }
  }
}

/** The Interface column for interface `id`: frame.interface_name, or frame.interface_id when the capture named none. */
export function interfaceLabel(id: number): string {
  return sanitizeText(interfaceName(id) ?? String(id));
}

/** The Interface column of packet i. */
export function interfaceText(ix: PacketIndex, i: number): string {
  const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
  return interfaceLabel(ix.links[c.link[j]]?.ifIndex ?? 0);
}

/** Whether the packets come from more than one interface (a capture on several -i, a merged pcapng): the list then shows which. */
export function severalInterfaces(ix: PacketIndex): boolean {
  if (declaredInterfaces() > 1) return true;
  for (const l of ix.links) if (l !== undefined && l.ifIndex > 0) return true;
  return false;
}

/** Fill `out` with the columns of packet i; `d` is used to re-decode the frame. */
export function describeRow(store: PacketStore, i: number, format: TimeFormat, out: RowText, d: Dissection = store.d): void {
  const ix = store.index;
  const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
  out.no = String(i + 1);
  out.time = timeText(ix, i, format, store.nanosecond ? 9 : 6);
  out.src = sanitizeText(ix.addresses.shown(c.src[j]));
  out.dst = sanitizeText(ix.addresses.shown(c.dst[j]));
  out.length = String(c.origLen[j]);
  out.iface = interfaceText(ix, i);
  out.cls = rowClass(ix, i);
  const app = c.app[j];
  if (app !== 0 && app !== APP_NOT_STORED) {
    const e = ix.apps[app];
    if (e !== undefined) {
      out.protocol = sanitizeText(e.protocol);
      out.info = sanitizeText(e.info);
      return;
    }
  }
  if (app === APP_NOT_STORED) {
    // The summary table was full when this packet was indexed: rebuild its application state.
    const full = store.replay(i);
    out.protocol = sanitizeText(protocolColumn(full));
    out.info = sanitizeText(infoColumn(full));
    return;
  }
  store.load(i, d);
  out.protocol = sanitizeText(transportProtocol(d));
  out.info = sanitizeText(transportInfo(d));
}
