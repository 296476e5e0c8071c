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
const linkTypeTable = new Uint8Array(65536);

function join(table: Uint8Array, keys: readonly number[] | undefined, id: number, what: string, name: string): void {
  if (keys === undefined) return;
  for (const k of keys) {
    if (!Number.isInteger(k) || k < 0 || k >= table.length) throw new Error(`${name}: ${what} ${k} is out of range`);
    const holder = table[k];
    if (holder !== 0) throw new Error(`${name}: ${what} ${k} is already ${registered[holder]!.spec.name}'s`);
    table[k] = id;
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
  join(tcpPortTable, spec.tcpPorts, id, 'tcp.port', spec.name);
  join(etherTypeTable, spec.etherTypes, id, 'ethertype', spec.name);
  join(ipProtoTable, spec.ipProtos, id, 'ip.proto', spec.name);
  join(linkTypeTable, spec.linkTypes, id, 'link type', spec.name);
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

/** Whether `id` is a registered protocol (rather than a fixed one). */
export function isRegistered(id: number): boolean {
  return registered[id] !== undefined;
}

/**
 * The protocol of a UDP or TCP payload between ports `src` and `dst`, 0 when none: the lower port
 * is tried first, then the higher, as Wireshark's UDP and TCP dissectors try them.
 */
export function udpPortProtocol(src: number, dst: number): number {
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  return (low !== 0 ? udpPortTable[low] : 0) || (high !== 0 ? udpPortTable[high] : 0);
}

export function tcpPortProtocol(src: number, dst: number): number {
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  return (low !== 0 ? tcpPortTable[low] : 0) || (high !== 0 ? tcpPortTable[high] : 0);
}

export function etherTypeProtocol(type: number): number {
  return etherTypeTable[type];
}

/** The protocol frames of this link-layer header type start with, 0 when no registered one. */
export function linkTypeProtocol(linkType: number): number {
  return linkType >= 0 && linkType < linkTypeTable.length ? linkTypeTable[linkType] : 0;
}

export function ipProtoProtocol(proto: number): number {
  return ipProtoTable[proto];
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
    if (p !== undefined) return p;
  }
  return undefined;
}
