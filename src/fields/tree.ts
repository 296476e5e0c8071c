// The protocol tree of one frame, as Wireshark's details pane shows it: one root per protocol
// instance in the order the layers lie in the frame (a tunnel's outer and inner IP headers are
// two roots), and under each root its fields, nested where a field names its parent (IP's flags
// under "Flags", a TLS record's fields under that record). Every node carries the bytes it covers.
// The same nodes drive `-V`, `-T json`, the UI's details pane and its hex highlight. Built only
// for a frame someone looks at, never on the hot path.

import { Dissection, PROTO_NAMES, Proto, isIpv6Extension } from '../decode/dissection';
import { fieldsOf, getField, rootsAfter, FieldDef, FT, NestTarget, Span } from './registry';
import { formatField, booleanWords } from './format';
import { ipv4ValueName, ipv6TextName, macName, nameResolution, portLabel } from './names';

const nameSpan = new Span();

export interface TreeNode {
  /** Filter name of the field (`ip.flags.df`). */
  name: string;
  field: FieldDef;
  /** Occurrence of the field in the frame. */
  index: number;
  /** What the tree shows (`.1.. .... = Don't fragment: Set`), before sanitizing; generated values without their brackets. */
  text: string;
  /** The value as -T fields and JSON print it ('' for a protocol or a text-only node). */
  value: string;
  generated: boolean;
  /** Filter-only (ip.addr, tcp.port): in JSON and PDML, not in -V or the details pane, as in Wireshark. */
  hidden: boolean;
  /** Bytes of d.buf the node covers; off -1 when it covers none. */
  off: number;
  len: number;
  /**
   * Bytes the node covers outside the frame (a decrypted TLS record, reassembled data), for the
   * bytes pane's other tabs; absent when it covers the frame's bytes or none.
   */
  outside?: { buf: Buffer; off: number; len: number };
  children: TreeNode[];
}

const span = new Span();

function rangeOf(f: FieldDef, d: Dissection, i: number): [number, number] {
  if (f.range) return f.range(d, i, span) && span.buf === d.buf ? [span.off, span.len] : [-1, 0];
  // a bytes-like value read from the frame covers the bytes it is
  if (f.bytes && f.bytes(d, i, span) && span.buf === d.buf) return [span.off, span.len];
  return [-1, 0];
}

function outsideRange(f: FieldDef, d: Dissection, i: number): { buf: Buffer; off: number; len: number } | undefined {
  const got = f.range ? f.range(d, i, span) : f.bytes ? f.bytes(d, i, span) : false;
  return got && span.buf !== d.buf && span.len > 0 ? { buf: span.buf, off: span.off, len: span.len } : undefined;
}

const contains = (outer: TreeNode | [number, number], off: number, len: number): boolean => {
  const [o, l] = Array.isArray(outer) ? outer : [outer.off, outer.len];
  return o >= 0 && off >= o && off + len <= o + l;
};

/** `0100 ....` for the bits of `unit` under `mask`, as Wireshark draws a bit field. */
export function bitPattern(mask: number, width: number, unit: number): string {
  const raw = unit & mask;
  let s = '';
  for (let b = width - 1; b >= 0; b--) {
    const bit = 2 ** b;
    s += (mask & bit) !== 0 ? ((raw & bit) !== 0 ? '1' : '0') : '.';
    if (b % 4 === 0 && b !== 0) s += ' ';
  }
  return s;
}

/** Each masked field's patterns by the value of its unit, kept for the few values a field takes (flags, versions). */
const patternsOf = new Map<FieldDef, Map<number, string>>();
const PATTERNS_PER_FIELD = 64;

function fieldBitPattern(f: FieldDef, unit: number): string {
  // Only the bits under the mask show: values that differ elsewhere share one pattern.
  const raw = unit & f.mask!;
  let patterns = patternsOf.get(f);
  if (patterns === undefined) patternsOf.set(f, (patterns = new Map()));
  let p = patterns.get(raw);
  if (p === undefined) {
    p = bitPattern(f.mask!, f.bitWidth!, raw);
    if (patterns.size < PATTERNS_PER_FIELD) patterns.set(raw, p);
  }
  return p;
}

function shiftOf(mask: number): number {
  let shift = 0;
  while (shift < 32 && ((mask >>> shift) & 1) === 0) shift++;
  return shift;
}

/** Wireshark keeps a label in 240 bytes: a longer one is cut to this many, marked " [truncated]". */
const LABEL_BYTES = 240;
const CUT_LABEL_BYTES = 238;
const TRUNCATED = ' [truncated]';

/** Wireshark's tree shows the first 36 bytes of a byte string, then an ellipsis (bytes_to_str). */
const SHOWN_HEX_DIGITS = 72;

function nodeText(f: FieldDef, d: Dissection, i: number, value: string): string {
  if (f.heading) return f.heading(d, i);
  if (f.type === FT.None) return f.text ? f.text(d, i) : f.label;
  const n = f.num ? f.num(d, i) : 0;
  let shown = value;
  if (f.display) shown = f.display(d, i);
  else if (nameResolution.mac && f.type === FT.Ether && f.bytes !== undefined && f.bytes(d, i, nameSpan)) shown = `${macName(nameSpan.buf, nameSpan.off)} (${value})`;
  else if (nameResolution.network && f.type === FT.IPv4 && f.netmask !== true) shown = `${ipv4ValueName(n) ?? value} (${value})`;
  else if (nameResolution.network && f.type === FT.IPv6) shown = `${ipv6TextName(value) ?? value} (${value})`;
  else if (f.portKind !== undefined) shown = portLabel(f.portKind, n);
  else if (f.type === FT.Bytes && value.length > SHOWN_HEX_DIGITS) shown = value.slice(0, SHOWN_HEX_DIGITS) + '\u2026';
  else if (f.type === FT.Bool && f.mask !== undefined) shown = booleanWords(f, d, i);
  else if (f.type === FT.RelTime) shown = `${value} seconds`;
  else {
    const named = f.valueNames && f.num ? f.valueNames[n] : undefined;
    if (named !== undefined) shown = `${named} (${value})`;
  }
  // The label keeps at most LABEL_BYTES (wiresharkLabel): a value of megabytes is not copied into it.
  if (shown.length > LABEL_BYTES) shown = shown.slice(0, LABEL_BYTES);
  const text = `${f.label}: ${shown}`;
  if (f.mask === undefined || f.bitWidth === undefined) return text;
  const unit = f.unit ? f.unit(d, i) : n * 2 ** shiftOf(f.mask);
  return `${fieldBitPattern(f, unit)} = ${text}`;
}


/**
 * A label as Wireshark's tree shows it: one of LABEL_BYTES or more is marked " [truncated]" after
 * the field's name (before the text of an item that has no name) and cut to CUT_LABEL_BYTES, at a
 * character boundary. The value itself (-T fields, JSON) is never cut.
 */
export function wiresharkLabel(text: string, namePos: number): string {
  // A character takes at most 4 bytes in UTF-8 (a UTF-16 unit at most 3): count only when in doubt.
  if (text.length < LABEL_BYTES / 3 || (text.length < LABEL_BYTES && Buffer.byteLength(text) < LABEL_BYTES)) return text;
  const marked = Buffer.from(text.slice(0, namePos) + TRUNCATED + text.slice(namePos, namePos + CUT_LABEL_BYTES));
  let end = CUT_LABEL_BYTES;
  while (end > 0 && (marked[end] & 0xc0) === 0x80) end--;
  return marked.toString('utf8', 0, end);
}

/** Where the field's name ends in its label (0 for an item that is only text). */
function namePosition(f: FieldDef, text: string): number {
  if (f.type === FT.None || f.textNode || f.heading) return 0;
  const at = text.indexOf(f.label + ':');
  return at < 0 ? 0 : at + f.label.length;
}

function makeNode(f: FieldDef, d: Dissection, i: number): TreeNode {
  const value = f.type === FT.None ? '' : formatField(f, d, i);
  const [off, len] = rangeOf(f, d, i);
  // The label shows hex at the mask's width; the value (PDML's show, JSON) keeps the type's.
  const full = nodeText(f, d, i, f.type === FT.Hex ? formatField(f, d, i, 'display') : value);
  // Only a label near Wireshark's limit needs to know where the field's name ends.
  const text = full.length < LABEL_BYTES / 3 ? full : wiresharkLabel(full, namePosition(f, full));
  const node: TreeNode = { name: f.name, field: f, index: i, text, value, generated: f.generatedAt !== undefined ? f.generatedAt(d, i) : f.generated === true, hidden: f.hiddenAt !== undefined ? f.hiddenAt(d, i) : f.hidden === true, off, len, children: [] };
  if (off < 0) {
    const outside = outsideRange(f, d, i);
    if (outside !== undefined) node.outside = outside;
  }
  return f.expert !== undefined && (f.expertAt === undefined || f.expertAt(d, i)) ? expertNode(f, node) : node;
}

const expertField = (name: string): FieldDef => getField(name)!;

/** Wireshark's numbers for an expert item's severity and group (epan/proto.h, PI_*), which JSON and PDML print. */
const EXPERT_SEVERITY_CODES: Readonly<Record<string, number>> = { Comment: 0x00100000, Chat: 0x00200000, Note: 0x00400000, Warning: 0x00600000, Error: 0x00800000 };
const EXPERT_GROUP_CODES: Readonly<Record<string, number>> = {
  Checksum: 0x01000000, Sequence: 0x02000000, Response: 0x03000000, Request: 0x04000000, Undecoded: 0x05000000, Reassemble: 0x06000000,
  Malformed: 0x07000000, Debug: 0x08000000, Protocol: 0x09000000, Security: 0x0a000000, Comment: 0x0b000000, Decryption: 0x0c000000,
  Assumption: 0x0d000000, Deprecated: 0x0e000000,
};

/**
 * A finding as Wireshark's tree shows it: the expert item, holding the finding, its message (hidden,
 * as the filter field _ws.expert.message), its severity and its group.
 */
function expertNode(f: FieldDef, finding: TreeNode): TreeNode {
  const { severity, group } = f.expert!;
  finding.generated = true;
  const child = (name: string, text: string, value: string, hidden = false): TreeNode =>
    ({ name, field: expertField(name), index: 0, text, value, generated: true, hidden, off: finding.off, len: finding.len, children: [] });
  return {
    name: '_ws.expert', field: expertField('_ws.expert'), index: 0, text: wiresharkLabel(`Expert Info (${severity}/${group}): ${finding.text}`, 0), value: '',
    generated: true, hidden: false, off: finding.off, len: finding.len,
    children: [
      finding,
      child('_ws.expert.message', wiresharkLabel(`Message: ${finding.text}`, 0), finding.text, true),
      child('_ws.expert.severity', `Severity level: ${severity}`, String(EXPERT_SEVERITY_CODES[severity] ?? 0)),
      child('_ws.expert.group', `Group: ${group}`, String(EXPERT_GROUP_CODES[group] ?? 0)),
    ],
  };
}

/** Which instance of the protocol (0 … instances-1) occurrence i of f belongs to, or -1 for none. */
function instanceOfOccurrence(f: FieldDef, d: Dissection, i: number, count: number, instances: number, roots: [number, number][]): number {
  if (instances === 1) return 0;
  if (f.instanceOf) return f.instanceOf(d, i);
  if (count === instances) return i;
  const [off, len] = rangeOf(f, d, i);
  if (off >= 0) {
    for (let k = 0; k < roots.length; k++) if (contains(roots[k], off, len)) return k;
  }
  return 0;
}

function placeUnderParent(f: FieldDef, d: Dissection, i: number, count: number, node: TreeNode, candidates: TreeNode[]): TreeNode | null {
  if (candidates.length === 0) return null;
  if (f.parentOf) {
    const j = f.parentOf(d, i);
    // Among several parent fields, j counts their nodes in the order the parents are named.
    if (typeof f.parent !== 'string') return candidates[j] ?? null;
    return candidates.find((c) => c.index === j) ?? null;
  }
  if (node.off >= 0) {
    for (let k = candidates.length - 1; k >= 0; k--) if (contains(candidates[k], node.off, node.len)) return candidates[k];
  }
  if (typeof f.parent === 'string' && getField(f.parent)!.count(d) === count) return candidates.find((c) => c.index === i) ?? null;
  return candidates[candidates.length - 1];
}

function parentCandidates(parent: string | readonly string[], byField: Map<string, TreeNode[]>): TreeNode[] {
  if (typeof parent === 'string') return byField.get(parent) ?? [];
  const all: TreeNode[] = [];
  for (const p of parent) all.push(...(byField.get(p) ?? []));
  return all.sort((a, b) => a.off - b.off);
}

/**
 * Every field occurrence of protocol `pf` with the instance it belongs to, worked out once for all
 * of the protocol's instances (a packet of many HTTP/2 frames has as many instances).
 */
interface InstanceTable {
  fields: FieldDef[];
  counts: number[];
  /** Per field, the instance of each occurrence. */
  instance: Int32Array[];
}

function instanceTable(d: Dissection, pf: FieldDef, instances: number): InstanceTable {
  const roots: [number, number][] = [];
  for (let j = 0; j < instances; j++) roots.push(rangeOf(pf, d, j));
  const t: InstanceTable = { fields: [], counts: [], instance: [] };
  for (const f of fieldsOf(pf.fieldsFrom ?? pf.proto)) {
    const count = f.count(d);
    // Most of a protocol's fields are absent from any one frame: they take no room in the table.
    if (count === 0) continue;
    const inst = new Int32Array(count);
    for (let i = 0; i < count; i++) inst[i] = instanceOfOccurrence(f, d, i, count, instances, roots);
    t.fields.push(f);
    t.counts.push(count);
    t.instance.push(inst);
  }
  return t;
}

/** The tree of instance k (of `instances`) of protocol `proto`. */
function protocolInstance(d: Dissection, pf: FieldDef, k: number, table: InstanceTable): TreeNode {
  const root = makeNode(pf, d, k);
  // First every node of this instance, in declaration order; then each goes under its parent, so
  // that a parent may be declared after its children (eth.addr stands under eth.dst and eth.src).
  const byField = new Map<string, TreeNode[]>();
  const made: [FieldDef, number, number, TreeNode][] = [];
  for (let fi = 0; fi < table.fields.length; fi++) {
    const f = table.fields[fi];
    const count = table.counts[fi];
    const inst = table.instance[fi];
    for (let i = 0; i < count; i++) {
      if (inst[i] !== k) continue;
      const node = makeNode(f, d, i);
      made.push([f, i, count, node]);
      let list = byField.get(f.name);
      if (list === undefined) byField.set(f.name, (list = []));
      list.push(node);
    }
  }
  // Nodes the protocol lays out itself find their parent by key and keep the protocol's order.
  const keyed = new Map<number, TreeNode>();
  const keyOf = new Map<TreeNode, number>();
  for (const [f, i, , node] of made) {
    if (f.nodeKey === undefined) continue;
    const key = f.nodeKey(d, i);
    keyed.set(key, node);
    keyOf.set(node, key);
  }
  const parents = new Set<TreeNode>();
  for (const [f, i, count, node] of made) {
    const parent = f.parentKey !== undefined ? (keyed.get(f.parentKey(d, i)) ?? null)
      : f.parent !== undefined ? placeUnderParent(f, d, i, count, node, parentCandidates(f.parent, byField)) : null;
    (parent ?? root).children.push(node);
    if (parent !== null) parents.add(parent);
  }
  // Inside a structure the nodes follow its bytes (as Wireshark adds them), whatever order the
  // fields were declared in; a structure with nodes that cover no bytes keeps the declared order.
  if (pf.orderByBytes === true) {
    const key = (n: TreeNode): number => (n.field.sortKey !== undefined ? n.field.sortKey(d, n.index) : n.off);
    if (root.children.every((c) => key(c) >= 0 || c.hidden)) {
      const keyed = root.children.map((n, at) => [key(n), at, n] as const);
      keyed.sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]));
      root.children.splice(0, root.children.length, ...keyed.map((k) => k[2]));
    }
  }
  const byKey = (list: TreeNode[]): boolean => {
    if (list.length === 0 || !list.some((c) => keyOf.has(c))) return false;
    // Nodes another part of tcpwatch adds without a key follow the laid-out ones.
    list.sort((a, b) => (keyOf.get(a) ?? Infinity) - (keyOf.get(b) ?? Infinity));
    return true;
  };
  if (keyOf.size > 0) byKey(root.children);
  // A node may say where it stands when its bytes do not (a count after the items it counts); an
  // expert item stands where its finding does.
  const key = (n: TreeNode): number => {
    const f = n.name === '_ws.expert' && n.children.length > 0 ? n.children[0] : n;
    return f.field.sortKey !== undefined ? f.field.sortKey(d, f.index) : n.off;
  };
  for (const p of parents) {
    if (byKey(p.children)) continue;
    if (p.children.every((c) => c.off >= 0 || c.hidden)) p.children.sort((a, b) => (a.off < 0 || b.off < 0 ? 0 : key(a) - key(b)));
  }
  return root;
}

const layerName = (p: number): string => (p === Proto.Sll2 ? 'sll' : PROTO_NAMES[p]);

// Fields are all registered when modules load, before any tree is built.
const rootsAfterByProto = new Map<string, FieldDef[]>();
function rootsAfterCached(proto: string): FieldDef[] {
  let list = rootsAfterByProto.get(proto);
  if (list === undefined) rootsAfterByProto.set(proto, (list = rootsAfter(proto)));
  return list;
}

/**
 * The frame's protocol tree: a root per protocol instance, in frame order, except that the packet
 * an ICMP error quotes is nested under that ICMP message, as in Wireshark.
 */
export function protocolTree(d: Dissection): TreeNode[] {
  const out: TreeNode[] = [];
  let into = out;
  const seen = new Map<string, number>();
  const tables = new Map<string, InstanceTable>();
  const rootsOf = new Map<string, TreeNode[]>();
  const nested: [TreeNode, NestTarget][] = [];
  const visit = (name: string): TreeNode | null => {
    const pf = getField(name);
    if (pf === undefined) return null;
    const k = seen.get(name) ?? 0;
    seen.set(name, k + 1);
    const instances = pf.count(d);
    if (k >= instances) return null;
    let table = tables.get(name);
    if (table === undefined) tables.set(name, (table = instanceTable(d, pf, instances)));
    const node = protocolInstance(d, pf, k, table);
    let roots = rootsOf.get(name);
    if (roots === undefined) rootsOf.set(name, (roots = []));
    roots.push(node);
    const within = pf.nestIn !== undefined ? pf.nestIn(d, k) : null;
    if (within !== null) {
      nested.push([node, within]);
      return node;
    }
    // Under an ICMP message the quoted packet stands where its bytes are: after the header, before
    // the extensions that follow the quote (RFC 4884).
    let at = into.length;
    if (into !== out && node.off >= 0) while (at > 0 && into[at - 1].off > node.off) at--;
    into.splice(at, 0, node);
    return node;
  };
  visit('frame');
  let prev: TreeNode | null = null;
  let ipv6: TreeNode | null = null;
  for (let i = 0; i < d.stackLen; i++) {
    const p = d.stack[i];
    if (isIpv6Extension(p)) {
      // An extension header's subtree stands inside its IPv6 header's, as in Wireshark.
      if (ipv6 !== null) {
        const outer = into;
        into = ipv6.children;
        visit(layerName(p));
        into = outer;
      }
      continue;
    }
    const node = visit(layerName(p));
    // A root that follows the protocol's instance (TCP's reassembled segments, before what they carry).
    if (node !== null) for (const f of rootsAfterCached(layerName(p))) visit(f.name);
    if (p === Proto.IPv6) ipv6 = node;
    if (node !== null && p === Proto.Data && i > 0) {
      const below = d.stack[i - 1];
      // ICMP hands an echo's data to the data dissector with its own tree: the data stands in the
      // message. TCP's and UDP's stand at the top of the tree, even inside an ICMP error's quote.
      if (prev !== null && (below === Proto.Icmp || below === Proto.Icmpv6)) {
        into.splice(into.indexOf(node), 1);
        prev.children.push(node);
      } else if (into !== out && (below === Proto.Tcp || below === Proto.Udp)) {
        into.splice(into.indexOf(node), 1);
        out.push(node);
      }
    }
    prev = node;
    if (node !== null && d.inIcmpError && (p === Proto.Icmp || p === Proto.Icmpv6) && into === out) into = node.children;
    // One layer may hold several instances of its protocol (QUIC packets coalesced in a datagram):
    // after its last layer in the stack, the protocol's remaining instances follow it.
    let later = false;
    for (let j = i + 1; j < d.stackLen && !later; j++) later = d.stack[j] === p;
    if (node !== null && !later) while (visit(layerName(p)) !== null);
  }
  // Wireshark's malformed-packet node stands after every protocol, where the dissection stopped.
  visit('_ws.malformed');
  // A subtree another protocol holds goes at the end of that instance's tree, or of the node of it
  // that it names; at the top when the instance is not there.
  for (const [node, [proto, k, field, occurrence]] of nested) {
    const root = rootsOf.get(proto)?.[k];
    const within = root !== undefined && field !== undefined ? (findNode(root, field, occurrence ?? 0) ?? root) : root;
    (within?.children ?? out).push(node);
  }
  return out;
}

/** Occurrence `index` of field `name` under `root`, depth first; undefined when absent. */
function findNode(root: TreeNode, name: string, index: number): TreeNode | undefined {
  for (const c of root.children) {
    if (c.name === name && c.index === index) return c;
    const inner = findNode(c, name, index);
    if (inner !== undefined) return inner;
  }
  return undefined;
}
