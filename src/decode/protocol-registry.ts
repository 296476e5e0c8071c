// The protocol registry: protocols above the fixed hot-path layers (Ethernet, IPv4, IPv6, TCP, UDP
// keep their fixed ids and the decoder's straight line) register here, as Wireshark's dissectors
// register in its dissector tables (`dissector_add_uint("udp.port", 4789, vxlan_handle)`). A
// registration names the protocol, the tables it joins and its decode step; the registry gives it
// a protocol id (its entry in Dissection.stack and in frame.protocols) and a layer slot: one object
// per Dissection, made the first time the protocol decodes into it and reused for every frame after.
//
// Dispatch is an array lookup, as gopacket's port tables: one 65536-entry table per port space, one
// per EtherType, 256 entries for IP protocol numbers. Nothing is allocated per packet.
//
// A protocol folder under src/protocols/ holds the registration, its fields and its summary;
// src/protocols/index.ts lists them.

import { Dissection, Proto, PROTO_NAMES, Slot } from './dissection';

/** What a protocol gives the registry. `T` is its layer slot: what its decode step keeps per frame. */
export interface ProtocolSpec<T> {
  /** Filter name and frame.protocols entry, as Wireshark spells it (`vxlan`). */
  name: string;
  /**
   * The fixed id the protocol keeps (Proto.Icmp, Proto.Arp): for protocols the fixed layers hand on
   * to directly and other code names by id (an ICMP error's quote, the row colours). Its decode
   * step, fields and summary still live in its folder; without it the registry gives a new id.
   */
  fixedId?: number;
  /** The Protocol column (`VXLAN`). */
  label: string;
  /** Tables the protocol joins: the layer below hands it frames whose number it has. */
  udpPorts?: readonly number[];
  tcpPorts?: readonly number[];
  etherTypes?: readonly number[];
  ipProtos?: readonly number[];
  /** Link-layer header types (LINKTYPE_*) whose frames start with this protocol. */
  linkTypes?: readonly number[];
  /**
   * A heuristic over UDP payloads (Wireshark's heur_dissector_add("udp", …)): tried, in registration
   * order, for a datagram whose ports name no protocol; true claims the bytes [off, end).
   */
  udpHeuristic?(d: Dissection, off: number, end: number): boolean;
  /** The layer slot, made once per Dissection. */
  makeLayer(): T;
  /**
   * Decode the bytes [off, end) that the layer below hands on, into `layer`; push the layer onto
   * the record (`d.pushLayer(id, off)`) when the bytes are this protocol's. Returns the protocol
   * to decode next (a Proto or a registered id, setting d.nextOff and d.nextEnd), or Proto.None.
   * Never throws: bad lengths mark the frame malformed.
   */
  decode(d: Dissection, layer: T, off: number, end: number, id: number): number;
  /** It names what follows by an EtherType (Wireshark then lists `ethertype` after it in frame.protocols). */
  handsOnByEtherType?: boolean;
  /** Info column text for a frame whose topmost registered layer this protocol is; none = the layers below say it. */
  info?(d: Dissection, layer: T): string | null;
  /** The Protocol column when it is not always `label` (`HTTP/XML` for HTTP carrying XML). */
  column?(d: Dissection, layer: T): string;
  /**
   * For a protocol that tunnels another (SOCKS): the Info text it writes before handing the bytes
   * on, which stays before "[TCP segment of a reassembled PDU]" when the tunnelled protocol only
   * collects a piece (`Version: 4 `); null when it writes none.
   */
  tunnelPrefix?(d: Dissection, layer: T): string | null;
  /**
   * A protocol over TCP whose messages the core frames (src/analysis/pdu-framing.ts, as Wireshark's
   * tcp_dissect_pdus): its `tcpPorts` then name conversations to frame rather than segments to
   * decode, and `decode` is not called.
   */
  tcpPdu?: TcpPduSpec<T>;
  /**
   * It writes neither column (Wireshark's media dissectors, which leave them to the protocol that
   * carries the body): the columns are the layer's below it.
   */
  namesNoColumns?: boolean;
  /** Its sessions are encrypted on the wire (SSH): a stream that carries it is encrypted, whatever its bytes measure. */
  encrypts?: boolean;
}

/** pduLength's answer when the bytes are not this protocol's: the rest of the segment is left to TCP. */
export const PDU_NOT_MINE = 0;
/** pduLength's answer for a PDU that runs to the end of the connection (a response without a length). */
export const PDU_UNTIL_CLOSE = -0x7fffffff;

export interface TcpPduSpec<T> {
  /**
   * The length of the PDU that starts at `off`, looking at no byte at or past `end`: > 0 its
   * length (which may run past `end`); PDU_NOT_MINE; PDU_UNTIL_CLOSE; or -k: not known yet, ask
   * again once k bytes from `off` are there. Never throws; never loops beyond `end - off`.
   * `atStart`: `off` is where the bytes handed on start (a segment's new bytes, a reassembly
   * buffer, what follows a reassembled PDU), where Wireshark calls the protocol's dissector anew;
   * false for a PDU that follows another in the same bytes (NBSS checks its header only at the start).
   */
  pduLength(buf: Buffer, off: number, end: number, conversation: unknown, atStart: boolean): number;
  /** Whether a conversation on no port of the protocol's is this protocol's, from its first payload. */
  heuristic?(buf: Buffer, off: number, end: number): boolean;
  /**
   * One whole PDU [off, end) of `buf` (the frame's buffer, or a reassembly buffer valid until the next
   * frame when `reassembled`) for the frame in `d`: fill the layer slot and push the layer.
   */
  dissect(d: Dissection, layer: T, buf: Buffer, off: number, end: number, reassembled: boolean, id: number, conversation: unknown): void;
  /** What the protocol keeps per TCP conversation (request/response matching), made when the conversation is first framed, from its first segment's ports. */
  newConversation?(srcPort?: number, dstPort?: number): unknown;
  /**
   * Text the protocol writes to the Info column before it asks for more bytes (Wireshark's HTTP
   * writes a response's status line before it waits for a body that runs to the close); null for none.
   */
  headline?(buf: Buffer, off: number, end: number): string | null;
  /**
   * A segment the snapshot length cut, so that its PDU can never be whole: the Info text the
   * protocol writes from the captured bytes [off, end) before it would have run past them
   * (Wireshark's HTTP: the first line, or `Continuation`); null when it would run past them before
   * writing anything (the columns stay TCP's, with the mark).
   */
  truncated?(buf: Buffer, off: number, end: number): string | null;
  /** Whether the heuristic would run past the captured bytes [off, end) of a cut segment before it could tell (Wireshark then marks the frame). */
  heuristicCut?(buf: Buffer, off: number, end: number): boolean;
}

export interface RegisteredProtocol<T> {
  readonly id: number;
  readonly spec: ProtocolSpec<T>;
  /** This protocol's layer slot in `d` (valid for the current frame when d.hasLayer(id)). */
  layer(d: Dissection): T;
}

/** Ids 1 to 255 fit Dissection.stack's bytes; registered ids follow the fixed ones. */
const MAX_PROTOCOL_ID = 255;

const registered: (RegisteredProtocol<unknown> | undefined)[] = [];
const byName = new Map<string, RegisteredProtocol<unknown>>();
const udpPortTable = new Uint8Array(65536);
const tcpPortTable = new Uint8Array(65536);
const etherTypeTable = new Uint8Array(65536);
const ipProtoTable = new Uint8Array(256);
/**
 * What the link and IP layers hand a frame to, by EtherType and by IP protocol number: the fixed
 * layers' entries and the registered protocols' (the tables above), then this run's -d rules over
 * them. The decode steps read only these, one lookup each.
 */
const etherTypeDispatch = new Uint8Array(65536);
const ipProtoDispatch = new Uint8Array(256);
const linkTypeTable = new Uint8Array(65536);
/** Protocols framed over TCP, by port; and those found by a heuristic, in registration order. */
const tcpPduPortTable = new Uint8Array(65536);
const tcpPduHeuristics: FramedProtocol[] = [];

// Decode As (tshark -d tcp.port==8989,http): what the user said a port carries, for this run. A
// port's entry is consulted before the tables the protocols joined when they loaded, which stay as
// they are; 0 is "as registered". Each table is all zeros, and its flag false, unless -d names a port
// of its kind, so a run without -d pays one boolean test per TCP or UDP payload.
const tcpDecodeAsTable = new Uint8Array(65536);
const udpDecodeAsTable = new Uint8Array(65536);
let tcpDecodeAsSet = false;
let udpDecodeAsSet = false;

/**
 * One Decode As rule: ports [first, last] of `table` carry protocol `id` (a registered id, Proto.Tls
 * or Proto.Data); or EtherTypes, or IP protocol numbers, hand a frame to the fixed or registered `id`.
 */
export interface DecodeAsRule {
  table: 'tcp.port' | 'udp.port' | 'ethertype' | 'ip.proto';
  first: number;
  last: number;
  id: number;
}

/** Replace this run's Decode As rules (later rules win for a port, as tshark's later -d). */
export function setDecodeAs(rules: readonly DecodeAsRule[]): void {
  tcpDecodeAsTable.fill(0);
  udpDecodeAsTable.fill(0);
  tcpDecodeAsSet = false;
  udpDecodeAsSet = false;
  etherTypeDispatch.set(etherTypeTable);
  ipProtoDispatch.set(ipProtoTable);
  for (const r of rules) {
    switch (r.table) {
      case 'tcp.port': tcpDecodeAsTable.fill(r.id, r.first, r.last + 1); tcpDecodeAsSet = true; break;
      case 'udp.port': udpDecodeAsTable.fill(r.id, r.first, r.last + 1); udpDecodeAsSet = true; break;
      case 'ethertype': etherTypeDispatch.fill(r.id, r.first, r.last + 1); break;
      case 'ip.proto': ipProtoDispatch.fill(r.id, r.first, r.last + 1); break;
    }
  }
}

/**
 * The fixed layers' own entries in the EtherType or IP protocol table (IPv4 for 0x0800, TCP for 6),
 * set once when their decode step loads; a registered protocol cannot take them.
 */
export function fixDispatch(table: 'ethertype' | 'ip.proto', entries: readonly (readonly [number, number])[]): void {
  const [registeredTable, dispatch] = table === 'ethertype' ? [etherTypeTable, etherTypeDispatch] : [ipProtoTable, ipProtoDispatch];
  for (const [key, id] of entries) {
    registeredTable[key] = id;
    dispatch[key] = id;
  }
}

/**
 * What Decode As gives a conversation between ports `src` and `dst`, 0 for "as registered". The
 * lower port is tried first, as Wireshark's TCP and UDP dissectors try it, so a rule on the higher
 * port counts only when the lower one names no protocol of its own.
 */
function decodeAs(table: Uint8Array, ports: Uint8Array, other: Uint8Array, src: number, dst: number): number {
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  if (low !== 0 && table[low] !== 0) return table[low];
  if (high === 0 || table[high] === 0) return 0;
  return low !== 0 && (ports[low] !== 0 || other[low] !== 0) ? 0 : table[high];
}

/** The protocol -d names for a TCP conversation between these ports (0: none, as registered). */
export function tcpDecodeAs(src: number, dst: number): number {
  return tcpDecodeAsSet ? decodeAs(tcpDecodeAsTable, tcpPortTable, tcpPduPortTable, src, dst) : 0;
}

// The lookups with -d given, apart from the registered ones so that those stay small on the hot path.

/** udpPortProtocol once -d names a UDP port. Data from -d (udp.port==N,data) is a protocol too: no heuristic is tried after it. */
function udpPortGiven(src: number, dst: number): number {
  const id = decodeAs(udpDecodeAsTable, udpPortTable, udpPortTable, src, dst);
  if (id !== 0) return id;
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  return (low !== 0 ? udpPortTable[low] : 0) || (high !== 0 ? udpPortTable[high] : 0);
}

/** tcpPortProtocol once -d names a TCP port: a framed protocol, TLS or data is read by the analysis stages, not segment by segment. */
function tcpPortGiven(src: number, dst: number): number {
  const id = decodeAs(tcpDecodeAsTable, tcpPortTable, tcpPduPortTable, src, dst);
  if (id !== 0) return registered[id] !== undefined && registered[id]!.spec.tcpPdu === undefined ? id : Proto.Data;
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  return (low !== 0 ? tcpPortTable[low] : 0) || (high !== 0 ? tcpPortTable[high] : 0);
}

/** A registered protocol the core frames over TCP. */
export interface FramedProtocol extends RegisteredProtocol<unknown> {
  readonly spec: ProtocolSpec<unknown> & { tcpPdu: TcpPduSpec<unknown> };
}
const udpHeuristics: RegisteredProtocol<unknown>[] = [];

function join(table: Uint8Array, keys: readonly number[] | undefined, id: number, what: string, name: string): void {
  if (keys === undefined) return;
  for (const k of keys) {
    if (!Number.isInteger(k) || k < 0 || k >= table.length) throw new Error(`${name}: ${what} ${k} is out of range`);
    const holder = table[k];
    if (holder !== 0) throw new Error(`${name}: ${what} ${k} is already ${registered[holder]!.spec.name}'s`);
    table[k] = id;
  }
}

/** A TCP port is one protocol's, whether it frames PDUs or decodes segments: refuse one the other table holds. */
function refuseHeld(other: Uint8Array, keys: readonly number[] | undefined, name: string): void {
  for (const k of keys ?? []) {
    if (Number.isInteger(k) && k >= 0 && k < other.length && other[k] !== 0) {
      throw new Error(`${name}: tcp.port ${k} is already ${registered[other[k]]!.spec.name}'s`);
    }
  }
}

export function registerProtocol<T>(spec: ProtocolSpec<T>): RegisteredProtocol<T> {
  const fixed = spec.fixedId !== undefined;
  if (byName.has(spec.name) || (!fixed && PROTO_NAMES.includes(spec.name))) throw new Error(`protocol ${spec.name} is registered twice`);
  if (fixed && (PROTO_NAMES[spec.fixedId!] !== spec.name || registered[spec.fixedId!] !== undefined)) {
    throw new Error(`${spec.name}: fixed id ${spec.fixedId} is not ${spec.name}'s`);
  }
  const id = fixed ? spec.fixedId! : PROTO_NAMES.length;
  if (id > MAX_PROTOCOL_ID) throw new Error(`${spec.name}: no protocol id left`);
  const slot = new Slot<T>(spec.makeLayer);
  const entry: RegisteredProtocol<T> = { id, spec, layer: (d: Dissection): T => slot.of(d) };
  join(udpPortTable, spec.udpPorts, id, 'udp.port', spec.name);
  if (spec.tcpPdu !== undefined) {
    refuseHeld(tcpPortTable, spec.tcpPorts, spec.name);
    join(tcpPduPortTable, spec.tcpPorts, id, 'tcp.port', spec.name);
    if (spec.tcpPdu.heuristic !== undefined) tcpPduHeuristics.push(entry as unknown as FramedProtocol);
  } else {
    refuseHeld(tcpPduPortTable, spec.tcpPorts, spec.name);
    join(tcpPortTable, spec.tcpPorts, id, 'tcp.port', spec.name);
  }
  join(etherTypeTable, spec.etherTypes, id, 'ethertype', spec.name);
  join(etherTypeDispatch, spec.etherTypes, id, 'ethertype', spec.name);
  join(ipProtoTable, spec.ipProtos, id, 'ip.proto', spec.name);
  join(ipProtoDispatch, spec.ipProtos, id, 'ip.proto', spec.name);
  join(linkTypeTable, spec.linkTypes, id, 'link type', spec.name);
  if (spec.udpHeuristic !== undefined) udpHeuristics.push(entry as RegisteredProtocol<unknown>);
  if (fixed) PROTO_LABELS[id] = spec.label;
  else {
    PROTO_NAMES.push(spec.name);
    PROTO_LABELS.push(spec.label);
  }
  registered[id] = entry as RegisteredProtocol<unknown>;
  byName.set(spec.name, entry as RegisteredProtocol<unknown>);
  return entry;
}

/** Protocol column labels of the fixed ids, then of the registered ones (by id). */
export const PROTO_LABELS: string[] = [
  '', 'Ethernet', '802.1Q', 'SLL', 'SLL', 'NULL', 'IPv4', 'IPv6', 'TCP', 'UDP', 'ICMP', 'ICMPv6', 'ARP', 'GRE',
  'Data', 'TLS', 'PPP',
];

export function protocolNamed(name: string): RegisteredProtocol<unknown> | undefined {
  return byName.get(name);
}

/** Whether the protocol with this id names what follows by an EtherType. */
export function handsOnByEtherType(id: number): boolean {
  return registered[id]?.spec.handsOnByEtherType === true;
}

/** Whether the frame carries a registered protocol that encrypts its sessions (ProtocolSpec.encrypts). */
export function carriesEncryptedProtocol(d: Dissection): boolean {
  for (let i = 0; i < d.stackLen; i++) if (registered[d.stack[i]]?.spec.encrypts === true) return true;
  return false;
}

/** Whether `id` is a registered protocol (rather than a fixed one). */
export function isRegistered(id: number): boolean {
  return registered[id] !== undefined;
}

/**
 * The protocol of a UDP or TCP payload between ports `src` and `dst`, 0 when none: the lower port
 * is tried first, then the higher, as Wireshark's UDP and TCP dissectors try them.
 */
export function udpPortProtocol(src: number, dst: number): number {
  if (udpDecodeAsSet) return udpPortGiven(src, dst);
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  return (low !== 0 ? udpPortTable[low] : 0) || (high !== 0 ? udpPortTable[high] : 0);
}

/** The first UDP heuristic that claims the payload [off, end), 0 when none does. */
export function udpHeuristicProtocol(d: Dissection, off: number, end: number): number {
  for (let i = 0; i < udpHeuristics.length; i++) {
    const p = udpHeuristics[i];
    if (p.spec.udpHeuristic!(d, off, end)) return p.id;
  }
  return 0;
}

export function tcpPortProtocol(src: number, dst: number): number {
  if (tcpDecodeAsSet) return tcpPortGiven(src, dst);
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  return (low !== 0 ? tcpPortTable[low] : 0) || (high !== 0 ? tcpPortTable[high] : 0);
}

/**
 * The framed protocol of a TCP conversation whose first payload is [off, end) between ports `src`
 * and `dst`: by port (lower first), else the first heuristic that recognises the bytes, as
 * Wireshark tries a TCP conversation's ports before its heuristics (tcp.try_heuristic_first off).
 */
export function framedProtocol(src: number, dst: number, buf: Buffer, off: number, end: number): FramedProtocol | undefined {
  if (tcpDecodeAsSet) {
    // -d decides, heuristics included: a port given to TLS, data or a per-segment protocol frames nothing.
    const given = tcpDecodeAs(src, dst);
    if (given !== 0) return registered[given]?.spec.tcpPdu !== undefined ? registered[given] as FramedProtocol : undefined;
  }
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  const id = (low !== 0 ? tcpPduPortTable[low] : 0) || (high !== 0 ? tcpPduPortTable[high] : 0);
  if (id !== 0) return registered[id] as FramedProtocol;
  // A port a per-segment protocol holds is that protocol's.
  if ((low !== 0 && tcpPortTable[low] !== 0) || (high !== 0 && tcpPortTable[high] !== 0)) return undefined;
  for (let i = 0; i < tcpPduHeuristics.length; i++) {
    if (tcpPduHeuristics[i].spec.tcpPdu.heuristic!(buf, off, end)) return tcpPduHeuristics[i];
  }
  return undefined;
}

/** Whether a heuristic of a framed protocol would run past the captured bytes of a cut first segment. */
export function heuristicRunsPast(buf: Buffer, off: number, end: number): boolean {
  for (let i = 0; i < tcpPduHeuristics.length; i++) if (tcpPduHeuristics[i].spec.tcpPdu.heuristicCut?.(buf, off, end) === true) return true;
  return false;
}

/** Whether any registered protocol is framed over TCP. */
export function anyFramedProtocol(): boolean {
  return registered.some((p) => p?.spec.tcpPdu !== undefined);
}

/** The layer a frame of this EtherType goes on to (fixed, registered or given by -d), 0 for none. */
export function etherTypeProtocol(type: number): number {
  return etherTypeDispatch[type];
}

/**
 * Whether the frame's link layer ended at an EtherType no dissector takes (not a length, as types
 * up to 1500 are, and not handed on by -d): the innermost layer is that link layer.
 */
export function unclaimedEtherType(d: Dissection): boolean {
  if (d.etherType <= 1500 || etherTypeDispatch[d.etherType] !== 0 || d.stackLen === 0) return false;
  // The data layer the payload went to may stand above it.
  let k = d.stackLen - 1;
  if (d.stack[k] === Proto.Data && k > 0) k--;
  const top = d.stack[k];
  return top === Proto.Eth || top === Proto.Vlan || top === Proto.Sll || top === Proto.Sll2;
}

/** The protocol frames of this link-layer header type start with, 0 when no registered one. */
export function linkTypeProtocol(linkType: number): number {
  return linkType >= 0 && linkType < linkTypeTable.length ? linkTypeTable[linkType] : 0;
}

/** The layer a packet of this IP protocol number goes on to (fixed, registered or given by -d), 0 for none. */
export function ipProtoProtocol(proto: number): number {
  return ipProtoDispatch[proto];
}

/** The fixed and registered ids of a table, as registered (without -d), for Decode As to list. */
export function dispatchIds(table: 'ethertype' | 'ip.proto'): Set<number> {
  return new Set(table === 'ethertype' ? etherTypeTable : ipProtoTable);
}

/** Run a registered protocol's decode step (the decoder's loop calls this for every id it does not own). */
export function decodeRegistered(d: Dissection, id: number, off: number, end: number): number {
  const p = registered[id];
  if (p === undefined) return Proto.None;
  return p.spec.decode(d, p.layer(d), off, end, id);
}

/**
 * The topmost layer of the frame that a registered protocol decoded, or undefined. Inside the packet
 * an ICMP error quotes, nothing names the frame: the first ICMP layer (the error) is the topmost
 * that counts, as Wireshark makes the columns read-only for the quote.
 */
export function topRegisteredLayer(d: Dissection): RegisteredProtocol<unknown> | undefined {
  let last = d.stackLen - 1;
  if (d.inIcmpError) {
    for (let i = 0; i < d.stackLen; i++) {
      if (d.stack[i] === Proto.Icmp || d.stack[i] === Proto.Icmpv6) { last = i; break; }
    }
  }
  for (let i = last; i >= 0; i--) {
    const p = registered[d.stack[i]];
    if (p !== undefined && p.spec.namesNoColumns !== true) return p;
  }
  return undefined;
}

/** The registered protocol with this id, or undefined for a fixed id. */
export function registeredProtocol(id: number): RegisteredProtocol<unknown> | undefined {
  return registered[id];
}

/** The Info text a tunnelling protocol of the frame wrote before what it carries, or null. */
export function tunnelPrefix(d: Dissection): string | null {
  for (let i = 0; i < d.stackLen; i++) {
    const p = registered[d.stack[i]];
    if (p?.spec.tunnelPrefix !== undefined) {
      const t = p.spec.tunnelPrefix(d, p.layer(d));
      if (t !== null) return t;
    }
  }
  return null;
}
