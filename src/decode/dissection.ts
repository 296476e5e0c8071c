// The decode record: one reused object of numbers and offsets that the decoder fills for each
// frame, in the style of gopacket's DecodingLayerParser. Nothing here is allocated per packet;
// strings are made only by formatters when something displays a field.
//
// Offsets are absolute positions in `buf`; -1 means "layer absent". Only the first occurrence of
// each link/network layer is kept for addressing (as tshark's `-E occurrence=f` shows), while the
// transport layer is the one that the innermost IP header carries.

import { TcpAnalysis } from '../analysis/tcp-analysis';
import { TlsInfo } from '../tls/tls-info';

/** Layer at which a frame was found malformed (Wireshark's `[Malformed Packet]`), 0 = not malformed. */
export const enum Malformed {
  None = 0,
  Link = 1,
  Network = 2,
  Transport = 3,
  Application = 4,
}

/** Protocol ids used in `Dissection.protoStack`, the chain of layers found in a frame. */
export const enum Proto {
  None = 0,
  Eth = 1,
  Vlan = 2,
  Sll = 3,
  Sll2 = 4,
  Null = 5,
  IPv4 = 6,
  IPv6 = 7,
  Tcp = 8,
  Udp = 9,
  Icmp = 10,
  Icmpv6 = 11,
  Arp = 12,
  Gre = 13,
  Data = 14,
  Tls = 15,
  Ppp = 16,
  // IPv6 extension headers (RFC 8200 §4), each a layer of its own as Wireshark lists them in
  // frame.protocols; their nodes stand inside the IPv6 header's subtree.
  Ipv6HopOpts = 17,
  Ipv6Routing = 18,
  Ipv6FragHdr = 19,
  Ipv6DstOpts = 20,
  /** LINKTYPE_RAW (101, and DLT_RAW 12 and 14): no link header, as Wireshark's "Raw packet data". */
  Raw = 21,
}

/** Filter names of the fixed ids, then of the protocols registered in src/decode/protocol-registry.ts (by id). */
export const PROTO_NAMES: string[] = [
  '', 'eth', 'vlan', 'sll', 'sll2', 'null', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'arp', 'gre',
  'data', 'tls', 'ppp', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts',
  'raw',
];

/** An IPv6 extension header's layer: part of the IPv6 header's tree, never what names a frame. */
export function isIpv6Extension(p: number): boolean {
  return p >= Proto.Ipv6HopOpts && p <= Proto.Ipv6DstOpts;
}

export const MAX_STACK = 16;
export const MAX_VLAN = 4;
export const MAX_SACK = 4;
/** MPTCP options kept per segment (40 option bytes hold at most 10 of the smallest). */
export const MAX_MPTCP_OPTIONS = 10;

const EMPTY = Buffer.alloc(0);

let slotCount = 0;

/**
 * A place in every Dissection for what one protocol or analysis stage keeps with the record (a
 * registered protocol's layer, decryption results, the stage that analysed it): made the first
 * time it is asked for in that Dissection and reused for every frame after, so nothing is
 * allocated per packet. Declared once, at module level, by the module that owns it.
 */
export class Slot<T> {
  private readonly index = slotCount++;
  constructor(private readonly make: () => T) {}

  of(d: Dissection): T {
    let v = d.slots[this.index] as T | undefined;
    if (v === undefined) {
      v = this.make();
      d.slots[this.index] = v;
    }
    return v;
  }

  /** The value when it was ever made for `d`, without making it. */
  peek(d: Dissection): T | undefined {
    return d.slots[this.index] as T | undefined;
  }

  set(d: Dissection, v: T): void {
    d.slots[this.index] = v;
  }
}

export class Dissection {
  // ---- frame ----
  buf: Buffer = EMPTY;
  frameOff = 0;
  /** Bytes captured (frame.cap_len). */
  capLen = 0;
  /** Bytes on the wire (frame.len). */
  origLen = 0;
  /** Seconds since the epoch; with tsNsec the exact capture time. */
  tsSec = 0;
  tsNsec = 0;
  linkType = 0;
  ifIndex = 0;
  /** 1-based frame number (frame.number). */
  number = 0;
  /** Time of the first frame and of the previous frame (frame.time_relative, frame.time_delta). */
  firstTsSec = 0;
  firstTsNsec = 0;
  prevTsSec = 0;
  prevTsNsec = 0;

  // ---- layer chain ----
  stackLen = 0;
  /** A stage took back a layer the decode pushed (takeBackLayer). */
  layerTakenBack = false;
  readonly stack = new Uint8Array(MAX_STACK);
  readonly stackOff = new Int32Array(MAX_STACK);
  malformed: Malformed = Malformed.None;
  /** Where the layer that a decode step hands on starts (the decode loop's cursor). */
  nextOff = 0;
  /** Where the bytes handed on end, for a registered protocol: the transport payload's captured end. */
  nextEnd = 0;
  /** Protocol in which the malformation was found (Proto id). */
  malformedProto = 0;

  // ---- link ----
  ethOff = -1;
  /** EtherType or SLL protocol that the link layer hands on. */
  etherType = 0;
  vlanCount = 0;
  readonly vlanOff = new Int32Array(MAX_VLAN);
  sllOff = -1;
  /** 1 or 2 for Linux cooked capture v1/v2. */
  sllVersion = 0;
  nullOff = -1;

  // ---- network: first occurrence (addresses in the summary and in fields) ----
  ip4Off = -1;
  ip4HdrLen = 0;
  ip6Off = -1;
  /** IPv6 next header after the extension chain of the first IPv6 header (ipv6.nxt is the fixed header's). */
  // ---- network: the header that carried the transport ----
  netOff = -1;
  netVersion = 0;
  /** Transport protocol number (after IPv6 extension headers). */
  ipProto = -1;
  /** End of the IP payload, clipped to captured bytes. */
  netEnd = 0;
  /** True when the IP payload is a non-first fragment, or a first fragment with more to come. */
  fragmented = false;
  /** IP payload length as the header states it (may exceed captured bytes). */
  netPayloadLen = 0;
  /** True once decoding has entered the packet quoted by an ICMP error message. */
  inIcmpError = false;

  // ---- transport ----
  tcpOff = -1;
  tcpHdrLen = 0;
  udpOff = -1;
  icmpOff = -1;
  srcPort = 0;
  dstPort = 0;
  seqRaw = 0;
  ackRaw = 0;
  /** 12 bits: 3 reserved, AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN. */
  tcpFlags = 0;
  window = 0;
  urgentPtr = 0;
  /** Offset and captured length of the transport payload. */
  payloadOff = 0;
  payloadCapLen = 0;
  /** Payload length from the headers' lengths (tcp.len / udp.length - 8), even when not all captured. */
  payloadLen = 0;
  // TCP options (-1 = absent)
  optMss = -1;
  optWscale = -1;
  optSackPerm = false;
  optTsOff = -1;
  /** Where the first Multipath TCP option starts, -1 when none; then each of up to MAX_MPTCP_OPTIONS. */
  optMptcpOff = -1;
  mptcpCount = 0;
  readonly mptcpOff = new Int32Array(MAX_MPTCP_OPTIONS);
  sackCount = 0;
  readonly sackOff = new Int32Array(MAX_SACK);

  // ---- slots: what registered protocols and analysis stages keep with this record (see Slot) ----
  readonly slots: unknown[] = [];

  // ---- analysis and application layers, owned by their modules ----
  readonly tcp = new TcpAnalysis();
  readonly tls = new TlsInfo();

  /** Forget everything about the previous frame. Called once per frame before decoding. */
  reset(): void {
    this.stackLen = 0;
    this.layerTakenBack = false;
    this.malformed = Malformed.None;
    this.malformedProto = 0;
    this.ethOff = -1;
    this.etherType = 0;
    this.vlanCount = 0;
    this.sllOff = -1;
    this.sllVersion = 0;
    this.nullOff = -1;
    this.ip4Off = -1;
    this.ip4HdrLen = 0;
    this.ip6Off = -1;
    this.netOff = -1;
    this.netVersion = 0;
    this.ipProto = -1;
    this.netEnd = 0;
    this.fragmented = false;
    this.netPayloadLen = 0;
    this.inIcmpError = false;
    this.tcpOff = -1;
    this.tcpHdrLen = 0;
    this.udpOff = -1;
    this.icmpOff = -1;
    this.srcPort = 0;
    this.dstPort = 0;
    this.seqRaw = 0;
    this.ackRaw = 0;
    this.tcpFlags = 0;
    this.window = 0;
    this.urgentPtr = 0;
    this.payloadOff = 0;
    this.payloadCapLen = 0;
    this.payloadLen = 0;
    this.optMss = -1;
    this.optWscale = -1;
    this.optSackPerm = false;
    this.optTsOff = -1;
    this.optMptcpOff = -1;
    this.mptcpCount = 0;
    this.sackCount = 0;
    this.tcp.reset();
    this.tls.reset();
  }

  /**
   * An analysis stage takes back the topmost layer a decode step pushed (SSH's piece of a PDU is
   * TCP's to name): the frame's columns then differ from a re-decode of its bytes alone, which the
   * UI's index must know to keep them.
   */
  takeBackLayer(proto: number): void {
    if (this.stackLen > 0 && this.stack[this.stackLen - 1] === proto) {
      this.stackLen--;
      this.layerTakenBack = true;
    }
  }

  pushLayer(proto: Proto, off: number): void {
    if (this.stackLen < MAX_STACK) {
      this.stack[this.stackLen] = proto;
      this.stackOff[this.stackLen] = off;
      this.stackLen++;
    }
  }

  /** How many layers of this protocol the frame has (a tunnel's inner header counts too). */
  layerCount(proto: Proto): number {
    let n = 0;
    for (let i = 0; i < this.stackLen; i++) if (this.stack[i] === proto) n++;
    return n;
  }

  /** Where occurrence k of this protocol's layers starts, outermost first; -1 when there is none. */
  layerOffset(proto: Proto, k: number): number {
    for (let i = 0; i < this.stackLen; i++) if (this.stack[i] === proto && k-- === 0) return this.stackOff[i];
    return -1;
  }

  hasLayer(proto: Proto): boolean {
    for (let i = 0; i < this.stackLen; i++) if (this.stack[i] === proto) return true;
    return false;
  }

  markMalformed(layer: Malformed, proto: Proto): void {
    if (this.malformed === Malformed.None) {
      this.malformed = layer;
      this.malformedProto = proto;
    }
  }

  /** End of captured bytes of this frame in `buf`. */
  get frameEnd(): number {
    return this.frameOff + this.capLen;
  }
}
