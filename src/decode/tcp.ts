// TCP header (RFC 9293 §3.1) with the options tcpwatch shows: MSS, window scale, SACK-permitted,
// SACK blocks and timestamps.

import { tcpPortProtocol } from './protocol-registry';
import { u16, u32 } from './bytes';
import { Dissection, Malformed, Proto, MAX_SACK, MAX_MPTCP_OPTIONS } from './dissection';

export const TCP_SRC_PORT = 0;
export const TCP_DST_PORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
export const TCP_OFFSET_FLAGS = 12; // data offset(4) reserved(3) AE(1) | CWR ECE URG ACK PSH RST SYN FIN
export const TCP_WINDOW = 14;
export const TCP_CHECKSUM = 16;
export const TCP_URGENT = 18;
export const TCP_MIN_HEADER_LEN = 20;

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
export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WSCALE = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;
/** RFC 8684 Multipath TCP: a segment that carries it is named MPTCP in the Protocol column, as Wireshark names it. */
export const TCPOPT_MPTCP = 30;

export function decodeTcp(d: Dissection, off: number, end: number): Proto {
  const buf = d.buf;
  if (end - off < TCP_MIN_HEADER_LEN) {
    d.markMalformed(Malformed.Transport, Proto.Tcp);
    return Proto.None;
  }
  // Wireshark reads TCP within the length the IP header gives; a segment that cannot hold even the
  // fixed header is malformed and shows no TCP fields.
  if (d.netPayloadLen < TCP_MIN_HEADER_LEN) {
    d.markMalformed(Malformed.Transport, Proto.Tcp);
    return Proto.None;
  }
  const offFlags = u16(buf, off + TCP_OFFSET_FLAGS);
  const hdrLen = (offFlags >> 12) * 4;
  d.tcpOff = off;
  d.pushLayer(Proto.Tcp, off);
  d.srcPort = u16(buf, off + TCP_SRC_PORT);
  d.dstPort = u16(buf, off + TCP_DST_PORT);
  d.seqRaw = u32(buf, off + TCP_SEQ);
  d.ackRaw = u32(buf, off + TCP_ACK);
  d.tcpFlags = offFlags & 0x0fff;
  d.window = u16(buf, off + TCP_WINDOW);
  d.urgentPtr = u16(buf, off + TCP_URGENT);
  d.tcpHdrLen = hdrLen;
  if (hdrLen < TCP_MIN_HEADER_LEN || hdrLen > d.netPayloadLen) {
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
  parseTcpOptions(d, off + TCP_MIN_HEADER_LEN, off + hdrLen);
  const payloadOff = off + hdrLen;
  d.payloadOff = payloadOff;
  const capEnd = Math.min(end, payloadOff + d.payloadLen);
  d.payloadCapLen = capEnd > payloadOff ? capEnd - payloadOff : 0;
  d.nextOff = payloadOff;
  d.nextEnd = capEnd > payloadOff ? capEnd : payloadOff;
  if (d.payloadLen === 0) return Proto.None;
  // Protocols in the tcp.port table that read each segment on its own; TLS and others that need
  // reassembly are analysis stages over the stream.
  return tcpPortProtocol(d.srcPort, d.dstPort) || Proto.Data;
}

function parseTcpOptions(d: Dissection, p: number, end: number): void {
  const buf = d.buf;
  while (p < end) {
    const kind = buf[p];
    if (kind === TCPOPT_EOL) return;
    if (kind === TCPOPT_NOP) { p++; continue; }
    if (end - p < 2) return;
    const len = buf[p + 1];
    if (len < 2 || len > end - p) return; // bad option length: stop, as Wireshark does
    switch (kind) {
      case TCPOPT_MSS:
        if (len === 4) d.optMss = u16(buf, p + 2);
        break;
      case TCPOPT_WSCALE:
        if (len === 3) d.optWscale = buf[p + 2];
        break;
      case TCPOPT_SACK_PERM:
        if (len === 2) d.optSackPerm = true;
        break;
      case TCPOPT_SACK:
        for (let q = p + 2; q + 8 <= p + len && d.sackCount < MAX_SACK; q += 8) d.sackOff[d.sackCount++] = q;
        break;
      case TCPOPT_TIMESTAMP:
        if (len === 10) d.optTsOff = p + 2;
        break;
      case TCPOPT_MPTCP:
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
  if (d.tcpOff < 0 || d.tcpHdrLen <= TCP_MIN_HEADER_LEN) return 0;
  const buf = d.buf;
  const end = d.tcpOff + d.tcpHdrLen;
  if (end > d.frameEnd) return 0;
  let n = 0;
  for (let p = d.tcpOff + TCP_MIN_HEADER_LEN; p < end && n < out.length;) {
    const kind = buf[p];
    if (kind === TCPOPT_EOL || kind === TCPOPT_NOP) { out[n++] = p++; continue; }
    if (end - p < 2) break;
    const len = buf[p + 1];
    if (len < 2 || len > end - p) break;
    out[n++] = p;
    p += len;
  }
  return n;
}
