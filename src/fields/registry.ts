// The field registry, after Wireshark's hf_register_info: each field is declared once with its
// filter name, type and accessor, and that one declaration serves `-T fields`, JSON, the details
// tree, display filters and columns. Accessors read the Dissection; they allocate nothing for
// numeric fields. Text is made by `formatField` only when something prints a value.

import { Dissection } from '../decode/dissection';
import { shownFrameNumber } from './frame-numbers';

export const enum FT {
  /** Presence only (a protocol, or a flag-like finding such as tcp.analysis.retransmission). */
  None,
  UInt,
  Int,
  /** Unsigned, displayed in hex (tshark's BASE_HEX): -T fields pads to the type's width, the tree and columns to the mask's (format.ts). */
  Hex,
  Bool,
  Double,
  /** Seconds since the epoch, to the nanosecond (frame.time_epoch). */
  AbsTime,
  /** Seconds, to the nanosecond (frame.time_relative). */
  RelTime,
  IPv4,
  IPv6,
  Ether,
  Bytes,
  String,
}

/** Wireshark's expert severities, least severe first. */
export type ExpertSeverity = 'Comment' | 'Chat' | 'Note' | 'Warning' | 'Error';

export const FT_NAMES = ['none', 'uint', 'int', 'uint', 'bool', 'double', 'time', 'reltime', 'ipv4', 'ipv6', 'ether', 'bytes', 'string'];

/** A byte range: where a bytes-like value lies, or which bytes a field covers. */
export class Span {
  buf: Buffer = Buffer.alloc(0);
  off = 0;
  len = 0;
  set(buf: Buffer, off: number, len: number): true {
    this.buf = buf;
    this.off = off;
    this.len = len;
    return true;
  }
}

/** Where a nested protocol instance stands: a protocol's name and instance, and optionally a field's name and occurrence in it. */
export type NestTarget = readonly [string, number] | readonly [string, number, string, number];

export interface FieldDef {
  /** Filter name, as Wireshark spells it (`tcp.srcport`). */
  name: string;
  /** What the details tree calls it (`Source Port`). */
  label: string;
  type: FT;
  /** Protocol the field belongs to (`tcp`); protocols themselves have their own name here. */
  proto: string;
  /**
   * Other protocols whose tree also lists it: a field another dissector adds inside theirs (the
   * `data` of an ICMP and an ICMPv6 echo, which Wireshark's data dissector adds under either).
   */
  alsoIn?: readonly string[];
  /**
   * Hex digits the tree and custom columns show when no `mask` gives them (Wireshark takes them from
   * the field's bitmask, which tcpwatch does not always declare: tcp.flags's 0x0fff); -T fields and
   * JSON print `valueBits / 4` whatever this says.
   */
  hexDigits?: number;
  /** Width of an integer field in bits, as Wireshark types it (FT_UINT16 = 16): filters refuse values past it. */
  valueBits?: 8 | 16 | 24 | 32 | 64;
  /** Number of occurrences in this frame; 0 = absent. */
  count(d: Dissection): number;
  /** Numeric value of occurrence i (integers, booleans as 0/1, IPv4 as a 32-bit number, times in seconds). */
  num?(d: Dissection, i: number): number;
  /** For a field naming a frame (FT_FRAMENUM): occurrence i's frame in read order (d.number), before `num` translates it to the number shown. */
  frameInReadOrder?(d: Dissection, i: number): number;
  /** Where the bytes of a bytes-like value (IPv6, Ether, Bytes, String) of occurrence i lie. */
  bytes?(d: Dissection, i: number, out: Span): boolean;
  /** Text of occurrence i for fields whose value is computed text (String type) or tshark's custom format. */
  text?(d: Dissection, i: number): string;
  /** Bytes of the frame that the field covers, for the bytes pane. */
  range?(d: Dissection, i: number, out: Span): boolean;
  /** Filter-only fields (ip.addr, tcp.port: either side) that the details tree does not list, as in Wireshark. */
  hidden?: boolean;
  /** When only some occurrences are hidden (HTTP's header lines: hidden under a header tcpwatch names, shown for one it does not). */
  hiddenAt?(d: Dissection, i: number): boolean;
  /** A TCP or UDP port (Wireshark's BASE_PT_TCP, BASE_PT_UDP): the tree names it with -N t. */
  portKind?: 'tcp' | 'udp';
  /** An IPv4 netmask (BASE_NETMASK): never shown as a host name. */
  netmask?: boolean;
  /** A 24-bit Organizationally Unique Identifier (BASE_OUI), as -G fields names its base. */
  oui?: boolean;
  /**
   * Value names for numbers (`1` → `Client Hello`), shown in details; for a boolean, its words when
   * set (1) and not set (0): Wireshark's true_false_string (`-G values` T lines).
   */
  valueNames?: Readonly<Record<number, string>>;
  /**
   * A bit Wireshark registers with no true_false_string: it reads True/False, as tshark shows any such
   * boolean, rather than the Set/Not set most masked bits register.
   */
  trueFalse?: boolean;
  /**
   * For the field named like its protocol: tshark's long and short names of the protocol (`-G
   * protocols`, the Protocol column of `-z expert`) where they are not the heading (`label`) and
   * the filter name in capitals.
   */
  longName?: string;
  shortName?: string;

  // ---- where the field stands in the protocol tree (src/fields/tree.ts) ----
  /**
   * The field whose subtree this one is in (`ip.flags` for `ip.flags.df`); none = directly under the
   * protocol. Several names: the one whose occurrence holds this occurrence's bytes (`eth.addr` under `eth.dst` and `eth.src`).
   */
  parent?: string | readonly string[];
  /**
   * Which occurrence of the parent field occurrence i belongs to. Without it: the one whose byte
   * range holds this occurrence's, else the same index when both fields occur equally often, else
   * the last one.
   */
  parentOf?(d: Dissection, i: number): number;
  /**
   * For a protocol that occurs more than once in a frame (a tunnel's inner IP header): which
   * occurrence of the protocol occurrence i belongs to. Without it: the same index when the field
   * occurs as often as the protocol, else the occurrence whose byte range holds it, else the first.
   */
  instanceOf?(d: Dissection, i: number): number;
  /** For a bit field: its mask within a `bitWidth`-bit unit, shown as Wireshark's `.1.. ....` pattern. */
  mask?: number;
  bitWidth?: number;
  /** The whole unit the bits lie in (default: the value shifted back under the mask). */
  unit?(d: Dissection, i: number): number;
  /** What the tree shows after the label when it is not the value as -T fields prints it (`20 bytes (5)`). */
  display?(d: Dissection, i: number): string;
  /** The tree's whole line for a structure that Wireshark heads with its own summary, label and all. */
  heading?(d: Dissection, i: number): string;
  /**
   * An expert finding (Wireshark's expert info): the tree shows it as `[Expert Info (Note/Sequence): …]`
   * with its severity and group; its `text` is the message.
   */
  expert?: { severity: ExpertSeverity; group: string };
  /** For a field only some of whose occurrences are expert items: which are (default: all). */
  expertAt?(d: Dissection, i: number): boolean;
  /** A value tcpwatch worked out rather than read (Wireshark's generated fields, `[Stream index: 0]`). */
  generated?: boolean;
  /** For a field only some of whose occurrences are worked out (a decrypted record's inner content type): which are. */
  generatedAt?(d: Dissection, i: number): boolean;
  /**
   * A text item of Wireshark's tree (`GET / HTTP/1.1\r\n`, `[Timestamps]`): it has no filter name of
   * its own, so PDML names it "" and JSON keys it by its text. Its registered name (`_text.…` where
   * tcpwatch gives it none, or a name of tcpwatch's such as `dns.queries`) serves filters and -T fields only.
   */
  textNode?: boolean;
  /**
   * For a protocol whose subtree Wireshark places inside another protocol's (a body's text inside
   * the HTTP/2 frame that ends it): that protocol's name and instance for occurrence i, and the
   * node of it that holds the subtree when not its root (TLS inside a QUIC CRYPTO frame); null at the
   * top of the tree.
   */
  nestIn?(d: Dissection, i: number): NestTarget | null;
  /** For a protocol: its subtree lists the nodes in the order of their bytes, not of declaration (HTTP's headers come in any order). */
  orderByBytes?: boolean;
  /**
   * Where occurrence i stands among its siblings when its bytes do not say it: under an orderByBytes
   * protocol, a message reassembled from several segments; under a parent, a count that follows the
   * items it counts.
   */
  sortKey?(d: Dissection, i: number): number;
  /**
   * For a structure whose protocol lays out the nodes itself (TLS): a key for occurrence i, unique
   * in the frame and increasing in the order the nodes are shown, and the key of the node it stands
   * under (-1: directly under the protocol). Placement then needs no byte ranges, which a message
   * reassembled from several segments does not have in the frame.
   */
  nodeKey?(d: Dissection, i: number): number;
  parentKey?(d: Dissection, i: number): number;
  /** For a protocol's own field: the protocol whose fields its tree lists (mDNS and LLMNR list DNS's, as in Wireshark). */
  fieldsFrom?: string;
  /**
   * The root whose tree lists the field when not its protocol's: TCP's reassembled segments
   * (tcp.segment …) stand under tcp.segments, a subtree Wireshark adds at the top of the frame's tree.
   */
  treeOf?: string;
  /** For a field that heads a root of its own (tcp.segments): the protocol whose instance it follows at the top of the tree. */
  rootAfter?: string;
  /**
   * tshark's type name (`-G fields`) when `type` and `valueBits` do not say it: a frame number
   * (FT_FRAMENUM), a NUL-ended string (FT_STRINGZ), a protocol Wireshark registers under a field's name
   * (FT_PROTOCOL), an object identifier printed as its dotted numbers (FT_OID), a string the tree
   * gives (FT_STRING: an expert item's message).
   */
  ftype?: 'FT_FRAMENUM' | 'FT_STRING' | 'FT_STRINGZ' | 'FT_PROTOCOL' | 'FT_BOOLEAN' | 'FT_RELATIVE_TIME' | 'FT_ABSOLUTE_TIME' | 'FT_UINT32' | 'FT_OID';
}

const fields = new Map<string, FieldDef>();
const ordered: FieldDef[] = [];
/** fieldsOf's lists, made once per protocol: every tree asks for them, and there are thousands of fields to filter. */
const fieldsOfProto = new Map<string, readonly FieldDef[]>();

export function defineField(def: FieldDef): FieldDef {
  if (fields.has(def.name)) throw new Error(`field ${def.name} is declared twice`);
  // A field naming a frame keeps the frame's read-order number (frameInReadOrder) and shows it as tshark numbers it.
  if (def.ftype === 'FT_FRAMENUM' && def.num !== undefined) {
    const inReadOrder = def.num;
    def.frameInReadOrder = inReadOrder;
    def.num = (d, i) => shownFrameNumber(inReadOrder(d, i));
  }
  fields.set(def.name, def);
  ordered.push(def);
  fieldsOfProto.clear();
  return def;
}

export function getField(name: string): FieldDef | undefined {
  return fields.get(name);
}

export function allFields(): readonly FieldDef[] {
  return ordered;
}

/** The fields heading a root of their own after an instance of `proto` (`rootAfter`), in declaration order. */
export function rootsAfter(proto: string): FieldDef[] {
  return ordered.filter((f) => f.rootAfter === proto);
}

/** Fields of one protocol (or of a root that lists fields of another, `treeOf`), in declaration order. */
export function fieldsOf(proto: string): readonly FieldDef[] {
  let list = fieldsOfProto.get(proto);
  if (list === undefined) {
    list = ordered.filter((f) => ((f.treeOf ?? f.proto) === proto || f.alsoIn?.includes(proto) === true) && f.name !== proto);
    fieldsOfProto.set(proto, list);
  }
  return list;
}

/** The registered name closest to `name`, for "did you mean" messages. */
export function nearestFieldName(name: string): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const f of ordered) {
    const dist = editDistance(name, f.name);
    if (dist < bestDist) {
      bestDist = dist;
      best = f.name;
    }
  }
  return best !== undefined && bestDist <= Math.max(3, name.length / 2) ? best : undefined;
}

// Edit distance where swapping two neighbouring characters costs 1 (optimal string alignment):
// `tpc` is one typo away from `tcp`, not two.
function editDistance(a: string, b: string): number {
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const cur = new Array<number>(b.length + 1);
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

// ---- helpers for declaring fields ----

export const once = (present: (d: Dissection) => boolean) => (d: Dissection): number => (present(d) ? 1 : 0);
