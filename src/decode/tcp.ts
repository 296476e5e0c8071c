// TCP header (RFC 9293 §3.1) with the options tcpwatch shows: MSS, window scale, SACK-permitted,
// SACK blocks and timestamps.

import { tcpPortProtocol } from './protocol-registry';
import { u16, u32 } from './bytes';
import { Dissection, Malformed, Proto, MAX_SACK, MAX_MPTCP_OPTIONS } from './dissection';

// The header's offsets as a const enum: TypeScript writes them into decodeTcp as literals, where the
// exported constants below would each be a property load from the module's exports on every segment.
const enum TcpHeader {
  SrcPort = 0,
  DstPort = 2,
  Seq = 4,
  Ack = 8,
  OffsetFlags = 12, // data offset(4) reserved(3) AE(1) | CWR ECE URG ACK PSH RST SYN FIN
  Window = 14,
  Checksum = 16,
  Urgent = 18,
  MinLen = 20,
}
export const TCP_SRC_PORT = TcpHeader.SrcPort;
export const TCP_DST_PORT = TcpHeader.DstPort;
export const TCP_SEQ = TcpHeader.Seq;
export const TCP_ACK = TcpHeader.Ack;
export const TCP_OFFSET_FLAGS = TcpHeader.OffsetFlags;
export const TCP_WINDOW = TcpHeader.Window;
export const TCP_CHECKSUM = TcpHeader.Checksum;
export const TCP_URGENT = TcpHeader.Urgent;
export const TCP_MIN_HEADER_LEN = TcpHeader.MinLen;

export const TH_FIN = 0x001;
export const TH_SYN = 0x002;
export const TH_RST = 0x004;
export const TH_PSH = 0x008;
export const TH_ACK = 0x010;
export const TH_URG = 0x020;
export const TH_ECE = 0x040;
export const TH_CWR = 0x080;
export const TH_AE = 0x100; // RFC 9768 Accurate ECN (formerly NS, RFC 3540)
export const TH_RES = 0xe00;

// Option kinds (IANA "TCP Option Kind Numbers")
const enum TcpOption {
  Eol = 0,
  Nop = 1,
  Mss = 2,
  Wscale = 3,
  SackPerm = 4,
  Sack = 5,
  Timestamp = 8,
  Mptcp = 30,
}
export const TCPOPT_EOL = TcpOption.Eol;
export const TCPOPT_NOP = TcpOption.Nop;
export const TCPOPT_MSS = TcpOption.Mss;
export const TCPOPT_WSCALE = TcpOption.Wscale;
export const TCPOPT_SACK_PERM = TcpOption.SackPerm;
export const TCPOPT_SACK = TcpOption.Sack;
export const TCPOPT_TIMESTAMP = TcpOption.Timestamp;
/** RFC 8684 Multipath TCP: a segment that carries it is named MPTCP in the Protocol column, as Wireshark names it. */
export const TCPOPT_MPTCP = TcpOption.Mptcp;

export function decodeTcp(d: Dissection, off: number, end: number): Proto {
  const buf = d.buf;
  if (end - off < TcpHeader.MinLen) {
    d.markMalformed(Malformed.Transport, Proto.Tcp);
    return Proto.None;
  }
  // Wireshark reads TCP within the length the IP header gives; a segment that cannot hold even the
  // fixed header is malformed and shows no TCP fields.
  if (d.netPayloadLen < TcpHeader.MinLen) {
    d.markMalformed(Malformed.Transport, Proto.Tcp);
    return Proto.None;
  }
  // Every read of the fixed header before any store into d: a store in between makes the compiled
  // code load the buffer's length and address again for each read.
  const srcPort = u16(buf, off + TcpHeader.SrcPort);
  const dstPort = u16(buf, off + TcpHeader.DstPort);
  const seq = u32(buf, off + TcpHeader.Seq);
  const ack = u32(buf, off + TcpHeader.Ack);
  const offFlags = u16(buf, off + TcpHeader.OffsetFlags);
  const window = u16(buf, off + TcpHeader.Window);
  const urgent = u16(buf, off + TcpHeader.Urgent);
  const hdrLen = (offFlags >> 12) * 4;
  d.tcpOff = off;
  d.pushLayer(Proto.Tcp, off);
  d.srcPort = srcPort;
  d.dstPort = dstPort;
  d.seqRaw = seq;
  d.ackRaw = ack;
  d.tcpFlags = offFlags & 0x0fff;
  d.window = window;
  d.urgentPtr = urgent;
  d.tcpHdrLen = hdrLen;
  if (hdrLen < TcpHeader.MinLen || hdrLen > d.netPayloadLen) {
    d.markMalformed(Malformed.Transport, Proto.Tcp);
    d.payloadLen = 0;
    return Proto.None;
  }
  d.payloadLen = d.netPayloadLen - hdrLen;
  if (hdrLen > end - off) {
    // Options cut off by the snapshot length: the fixed header stays usable.
    d.payloadOff = end;
    d.payloadCapLen = 0;
    return Proto.None;
  }
  parseTcpOptions(d, off + TcpHeader.MinLen, off + hdrLen);
  const payloadOff = off + hdrLen;
  d.payloadOff = payloadOff;
  const capEnd = Math.min(end, payloadOff + d.payloadLen);
  d.payloadCapLen = capEnd > payloadOff ? capEnd - payloadOff : 0;
  d.nextOff = payloadOff;
  d.nextEnd = capEnd > payloadOff ? capEnd : payloadOff;
  if (d.payloadLen === 0) return Proto.None;
  // Protocols in the tcp.port table that read each segment on its own; TLS and others that need
  // reassembly are analysis stages over the stream.
  return tcpPortProtocol(srcPort, dstPort) || Proto.Data;
}

function parseTcpOptions(d: Dissection, p: number, end: number): void {
  const buf = d.buf;
  while (p < end) {
    const kind = buf[p];
    if (kind === TcpOption.Eol) return;
    if (kind === TcpOption.Nop) { p++; continue; }
    if (end - p < 2) return;
    const len = buf[p + 1];
    if (len < 2 || len > end - p) return; // bad option length: stop, as Wireshark does
    switch (kind) {
      case TcpOption.Mss:
        if (len === 4) d.optMss = u16(buf, p + 2);
        break;
      case TcpOption.Wscale:
        if (len === 3) d.optWscale = buf[p + 2];
        break;
      case TcpOption.SackPerm:
        if (len === 2) d.optSackPerm = true;
        break;
      case TcpOption.Sack:
        for (let q = p + 2; q + 8 <= p + len && d.sackCount < MAX_SACK; q += 8) d.sackOff[d.sackCount++] = q;
        break;
      case TcpOption.Timestamp:
        if (len === 10) d.optTsOff = p + 2;
        break;
      case TcpOption.Mptcp:
        if (d.optMptcpOff < 0) d.optMptcpOff = p;
        // The subtype is in the third byte: an option too short for it is named but not typed.
        if (len >= 3 && d.mptcpCount < MAX_MPTCP_OPTIONS) d.mptcpOff[d.mptcpCount++] = p;
        break;
    }
    p += len;
  }
}

/**
 * Where each option of the TCP header in d starts, in order, EOL and NOP included (the protocol
 * tree's one node per option; a cold path, walked when a field asks). An EOL is one byte, as each of
 * the padding bytes after it, the way Wireshark lists them. The walk ends where parseTcpOptions
 * stops reading: at an option whose length is bad. Returns how many it wrote (at most out.length).
 */
export function listTcpOptions(d: Dissection, out: Int32Array): number {
  if (d.tcpOff < 0 || d.tcpHdrLen <= TcpHeader.MinLen) return 0;
  const buf = d.buf;
  const end = d.tcpOff + d.tcpHdrLen;
  if (end > d.frameEnd) return 0;
  let n = 0;
  for (let p = d.tcpOff + TcpHeader.MinLen; p < end && n < out.length;) {
    const kind = buf[p];
    if (kind === TcpOption.Eol || kind === TcpOption.Nop) { out[n++] = p++; continue; }
    if (end - p < 2) break;
    const len = buf[p + 1];
    if (len < 2 || len > end - p) break;
    out[n++] = p;
    p += len;
  }
  return n;
}
