// NBNS's fields, each declared once, with tshark 4.0's names, values and tree lines (packet-nbns.c):
// the header and its flags, one node per question and resource record under its section, and the
// data of NB and NBSTAT records. A field read from several records counts its occurrences record by
// record, in the order of the frame.

import { Dissection } from '../../decode/dissection';
import { defineField, FieldDef, FT, Span } from '../../fields/registry';
import { ipv4At, secondsText } from '../../fields/format';
import { className } from '../dns/types';
import {
  nbns, NbnsLayer, Section, COUNTS, FLAGS, ID, F_RESPONSE, F_OPCODE, OPCODE_SHIFT, F_AUTHORITATIVE, F_TRUNCATED,
  F_RECDESIRED, F_RECAVAIL, F_BROADCAST, F_RCODE, OPCODE_WACK, RR_CLASS, RR_TTL, RR_RDLENGTH, RR_FIXED_LEN, T_NB, T_NBSTAT,
  NB_FLAGS_LEN, NB_ENTRY_LEN, NODE_NAME_ENTRY_LEN, STATISTICS_SIZES, opcodeName, rcodeName, typeName, TYPE_NAMES,
} from './register';
import { netbiosNameAt, nameTypeDescription, rawNetbiosName, NETBIOS_NAME_LEN } from './names';

const PROTO = 'nbns';
const layer = (d: Dissection): NbnsLayer => nbns.layer(d);
const has = (d: Dissection): boolean => d.hasLayer(nbns.id) && layer(d).whole;
const u16 = (d: Dissection, p: number): number => d.buf.readUInt16BE(p);
const hex = (v: number, digits: number): string => `0x${v.toString(16).padStart(digits, '0')}`;
const flagsOf = (d: Dissection): number => u16(d, layer(d).off + FLAGS);
const isResponse = (d: Dissection): boolean => (flagsOf(d) & F_RESPONSE) !== 0;
const opcodeOf = (d: Dissection): number => (flagsOf(d) & F_OPCODE) >> OPCODE_SHIFT;

defineField({
  name: 'nbns', label: 'NetBIOS Name Service', type: FT.None, proto: PROTO, count: (d) => (d.hasLayer(nbns.id) ? 1 : 0),
  range: (d, _i, o) => o.set(d.buf, layer(d).off, layer(d).end - layer(d).off),
});
const headerCount = (d: Dissection): number => (has(d) ? 1 : 0);
defineField({
  name: 'nbns.id', label: 'Transaction ID', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: PROTO, count: headerCount,
  num: (d) => u16(d, layer(d).off + ID), range: (d, _i, o) => o.set(d.buf, layer(d).off + ID, 2),
});

// ---- the flags word: proto_tree_add_bitmask lists a request's bits, or a response's with its reply code ----

interface FlagBit { name: string; label: string; mask: number; set?: string; clear?: string; responseOnly: boolean }
const FLAG_BITS: readonly FlagBit[] = [
  { name: 'nbns.flags.response', label: 'Response', mask: F_RESPONSE, set: 'Message is a response', clear: 'Message is a query', responseOnly: false },
  { name: 'nbns.flags.opcode', label: 'Opcode', mask: F_OPCODE, responseOnly: false },
  { name: 'nbns.flags.authoritative', label: 'Authoritative', mask: F_AUTHORITATIVE, set: 'Server is an authority for domain', clear: 'Server is not an authority for domain', responseOnly: true },
  { name: 'nbns.flags.truncated', label: 'Truncated', mask: F_TRUNCATED, set: 'Message is truncated', clear: 'Message is not truncated', responseOnly: false },
  { name: 'nbns.flags.recdesired', label: 'Recursion desired', mask: F_RECDESIRED, set: 'Do query recursively', clear: "Don't do query recursively", responseOnly: false },
  { name: 'nbns.flags.recavail', label: 'Recursion available', mask: F_RECAVAIL, set: 'Server can do recursive queries', clear: "Server can't do recursive queries", responseOnly: true },
  { name: 'nbns.flags.broadcast', label: 'Broadcast', mask: F_BROADCAST, set: 'Broadcast packet', clear: 'Not a broadcast packet', responseOnly: false },
  { name: 'nbns.flags.rcode', label: 'Reply code', mask: F_RCODE, responseOnly: true },
];
const bitNamed = (bit: FlagBit, flags: number): string =>
  bit.mask === F_OPCODE ? opcodeName((flags & F_OPCODE) >> OPCODE_SHIFT) : rcodeName(flags & F_RCODE);

defineField({
  name: 'nbns.flags', label: 'Flags', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: PROTO, count: headerCount,
  num: flagsOf, range: (d, _i, o) => o.set(d.buf, layer(d).off + FLAGS, 2),
  // The bitmask's line: the word, then each set bit's label and each numbered part's name.
  display: (d) => {
    const f = flagsOf(d);
    let s = hex(f, 4);
    for (const bit of FLAG_BITS) {
      if (bit.responseOnly && (f & F_RESPONSE) === 0) continue;
      if (bit.set === undefined) s += `, ${bit.label}: ${bitNamed(bit, f)}`;
      else if ((f & bit.mask) !== 0) s += `, ${bit.label}`;
    }
    return s;
  },
});
for (const bit of FLAG_BITS) {
  const shift = Math.log2(bit.mask & -bit.mask);
  const value = (d: Dissection): number => (flagsOf(d) & bit.mask) >> shift;
  defineField({
    name: bit.name, label: bit.label, type: bit.set === undefined ? FT.UInt : FT.Bool, valueBits: bit.set === undefined ? 16 : undefined,
    proto: PROTO, parent: 'nbns.flags', mask: bit.mask, bitWidth: 16, unit: flagsOf,
    count: (d) => (has(d) && (!bit.responseOnly || isResponse(d)) ? 1 : 0),
    num: value, range: (d, _i, o) => o.set(d.buf, layer(d).off + FLAGS, 2),
    display: (d) => (bit.set === undefined ? `${bitNamed(bit, flagsOf(d))} (${value(d)})` : value(d) !== 0 ? bit.set : bit.clear!),
  });
}

for (const [name, label, section] of [
  ['nbns.count.queries', 'Questions', Section.Question], ['nbns.count.answers', 'Answer RRs', Section.Answer],
  ['nbns.count.auth_rr', 'Authority RRs', Section.Authority], ['nbns.count.add_rr', 'Additional RRs', Section.Additional],
] as const) {
  defineField({
    name, label, type: FT.UInt, valueBits: 16, proto: PROTO, count: headerCount,
    num: (d) => u16(d, layer(d).off + COUNTS + 2 * section), range: (d, _i, o) => o.set(d.buf, layer(d).off + COUNTS + 2 * section, 2),
  });
}

// ---- records: the section nodes, one node per record, and what every record has ----

/** The record that is occurrence i among those `keep` accepts, or -1. */
function nthRecord(d: Dissection, i: number, keep: (l: NbnsLayer, r: number) => boolean): number {
  const l = layer(d);
  for (let r = 0; r < l.records; r++) if (keep(l, r) && i-- === 0) return r;
  return -1;
}
function countRecords(d: Dissection, keep: (l: NbnsLayer, r: number) => boolean): number {
  if (!has(d)) return 0;
  const l = layer(d);
  let n = 0;
  for (let r = 0; r < l.records; r++) if (keep(l, r)) n++;
  return n;
}
/**
 * Entries inside records (NB entries, node status names, statistics): occurrence i's record and
 * its index there, from how many entries each record holds.
 */
let entryIndex = 0;
function nthEntry(d: Dissection, i: number, entries: (d: Dissection, l: NbnsLayer, r: number) => number): number {
  const l = layer(d);
  for (let r = 0; r < l.records; r++) {
    const n = entries(d, l, r);
    if (i < n) { entryIndex = i; return r; }
    i -= n;
  }
  return -1;
}
function countEntries(d: Dissection, entries: (d: Dissection, l: NbnsLayer, r: number) => number): number {
  if (!has(d)) return 0;
  const l = layer(d);
  let n = 0;
  for (let r = 0; r < l.records; r++) n += entries(d, l, r);
  return n;
}

const SECTION_NODES = ['_text.nbns.queries', '_text.nbns.answers', '_text.nbns.authorities', '_text.nbns.additional_records'];
const SECTION_LABELS = ['Queries', 'Answers', 'Authoritative nameservers', 'Additional records'];
const firstOfSection = (section: number) => (l: NbnsLayer, r: number): boolean => l.section[r] === section && (r === 0 || l.section[r - 1] !== section);
SECTION_NODES.forEach((name, section) => {
  const first = firstOfSection(section);
  defineField({
    name, label: SECTION_LABELS[section], type: FT.None, proto: PROTO, textNode: true, count: (d) => countRecords(d, first),
    text: () => SECTION_LABELS[section],
    range: (d, i, o) => {
      const l = layer(d);
      const r = nthRecord(d, i, first);
      let last = r;
      while (last + 1 < l.records && l.section[last + 1] === section) last++;
      return o.set(d.buf, l.nameOff[r], l.recEnd[last] - l.nameOff[r]);
    },
  });
});

const anyRecord = (): boolean => true;
const isRR = (l: NbnsLayer, r: number): boolean => l.section[r] !== Section.Question;
const typeOf = (d: Dissection, l: NbnsLayer, r: number): number => u16(d, l.typeOff[r]);
const nameOf = (d: Dissection, l: NbnsLayer, r: number) => netbiosNameAt(d.buf, l.off, l.end, l.nameOff[r]);
const dataOff = (l: NbnsLayer, r: number): number => l.typeOff[r] + RR_FIXED_LEN;
const dataLength = (d: Dissection, l: NbnsLayer, r: number): number => u16(d, l.typeOff[r] + RR_RDLENGTH);

defineField({
  name: '_text.nbns.record', label: 'Record', type: FT.None, proto: PROTO, textNode: true, parent: SECTION_NODES,
  count: (d) => countRecords(d, anyRecord),
  text: (d, i) => {
    const l = layer(d);
    const r = nthRecord(d, i, anyRecord);
    return `${nameOf(d, l, r).text}: type ${typeName(typeOf(d, l, r))}, class ${className(u16(d, l.typeOff[r] + RR_CLASS))}`;
  },
  range: (d, i, o) => { const l = layer(d); const r = nthRecord(d, i, anyRecord); return o.set(d.buf, l.nameOff[r], l.recEnd[r] - l.nameOff[r]); },
});

/** A field every record (or every resource record) has, read at `at` after the record's name. */
function recordField(def: Omit<FieldDef, 'proto' | 'count' | 'parent'> & { keep: (l: NbnsLayer, r: number) => boolean }): void {
  const { keep, ...rest } = def;
  defineField({ ...rest, proto: PROTO, parent: '_text.nbns.record', count: (d) => countRecords(d, keep) });
}

recordField({
  name: 'nbns.name', label: 'Name', type: FT.String, keep: anyRecord,
  // An NB record's name carries its type's description in the value itself, as packet-nbns.c builds it.
  text: (d, i) => {
    const l = layer(d);
    const r = nthRecord(d, i, anyRecord);
    const name = nameOf(d, l, r);
    return isRR(l, r) && typeOf(d, l, r) === T_NB ? `${name.text} (${nameTypeDescription(name.type)})` : name.text;
  },
  display: (d, i) => {
    const l = layer(d);
    const r = nthRecord(d, i, anyRecord);
    const name = nameOf(d, l, r);
    if (isRR(l, r)) return typeOf(d, l, r) === T_NB ? `${name.text} (${nameTypeDescription(name.type)})` : name.text;
    return name.type < 0 ? name.text : `${name.text} (${nameTypeDescription(name.type)})`;
  },
  // A question's name node covers the whole encoded name; a record's leaves out its first length byte.
  range: (d, i, o) => {
    const l = layer(d);
    const r = nthRecord(d, i, anyRecord);
    const skip = isRR(l, r) ? 1 : 0;
    return o.set(d.buf, l.nameOff[r] + skip, l.typeOff[r] - l.nameOff[r] - skip);
  },
});
recordField({
  name: 'nbns.type', label: 'Type', type: FT.UInt, valueBits: 16, keep: anyRecord, valueNames: TYPE_NAMES,
  num: (d, i) => typeOf(d, layer(d), nthRecord(d, i, anyRecord)),
  display: (d, i) => { const t = typeOf(d, layer(d), nthRecord(d, i, anyRecord)); return `${typeName(t)} (${t})`; },
  range: (d, i, o) => o.set(d.buf, layer(d).typeOff[nthRecord(d, i, anyRecord)], 2),
});
recordField({
  name: 'nbns.class', label: 'Class', type: FT.UInt, valueBits: 16, keep: anyRecord,
  num: (d, i) => u16(d, layer(d).typeOff[nthRecord(d, i, anyRecord)] + RR_CLASS),
  display: (d, i) => { const c = u16(d, layer(d).typeOff[nthRecord(d, i, anyRecord)] + RR_CLASS); return `${className(c)} (${c})`; },
  range: (d, i, o) => o.set(d.buf, layer(d).typeOff[nthRecord(d, i, anyRecord)] + RR_CLASS, 2),
});
recordField({
  name: 'nbns.ttl', label: 'Time to live', type: FT.UInt, valueBits: 32, keep: isRR,
  num: (d, i) => d.buf.readUInt32BE(layer(d).typeOff[nthRecord(d, i, isRR)] + RR_TTL),
  display: (d, i) => secondsText(d.buf.readUInt32BE(layer(d).typeOff[nthRecord(d, i, isRR)] + RR_TTL)),
  range: (d, i, o) => o.set(d.buf, layer(d).typeOff[nthRecord(d, i, isRR)] + RR_TTL, 4),
});
recordField({
  name: 'nbns.data_length', label: 'Data length', type: FT.UInt, valueBits: 16, keep: isRR,
  num: (d, i) => dataLength(d, layer(d), nthRecord(d, i, isRR)),
  range: (d, i, o) => o.set(d.buf, layer(d).typeOff[nthRecord(d, i, isRR)] + RR_RDLENGTH, 2),
});
/** Records whose data is neither NB nor NBSTAT: tshark shows the data as bytes. */
const isOtherRR = (l: NbnsLayer, r: number, d?: Dissection): boolean => isRR(l, r) && d !== undefined && typeOf(d, l, r) !== T_NB && typeOf(d, l, r) !== T_NBSTAT;
defineField({
  name: 'nbns.data', label: 'Data', type: FT.Bytes, proto: PROTO, parent: '_text.nbns.record',
  count: (d) => countEntries(d, (dd, l, r) => (isOtherRR(l, r, dd) ? 1 : 0)),
  bytes: (d, i, o) => { const l = layer(d); const r = nthEntry(d, i, (dd, ll, rr) => (isOtherRR(ll, rr, dd) ? 1 : 0)); return o.set(d.buf, dataOff(l, r), dataLength(d, l, r)); },
  range: (d, i, o) => { const l = layer(d); const r = nthEntry(d, i, (dd, ll, rr) => (isOtherRR(ll, rr, dd) ? 1 : 0)); return o.set(d.buf, dataOff(l, r), dataLength(d, l, r)); },
});

// ---- NB records: flags and address pairs (RFC 1002 §4.2.1.3); a WACK's data is not read as them ----

const isNb = (d: Dissection, l: NbnsLayer, r: number): boolean => isRR(l, r) && typeOf(d, l, r) === T_NB && opcodeOf(d) !== OPCODE_WACK;
/** The record's data as tshark stepped over it: whole entries, perhaps a last flags word alone. */
const nbFlagsWords = (d: Dissection, l: NbnsLayer, r: number): number => (isNb(d, l, r) ? Math.ceil((l.recEnd[r] - dataOff(l, r)) / NB_ENTRY_LEN) : 0);
const nbAddresses = (d: Dissection, l: NbnsLayer, r: number): number => (isNb(d, l, r) ? Math.floor((l.recEnd[r] - dataOff(l, r)) / NB_ENTRY_LEN) : 0);
const nbFlagsAt = (d: Dissection, i: number): number => { const r = nthEntry(d, i, nbFlagsWords); return dataOff(layer(d), r) + entryIndex * NB_ENTRY_LEN; };
const NB_GROUP = 0x8000;
const NB_ONT = 0x6000;
const ONT_SHIFT = 13;
const NB_NODE_TYPES = ['B-node', 'P-node', 'M-node', 'H-node'];
/**
 * packet-nbns.c names the owner node type from values kept unshifted, so that under the mask only
 * 0 (B-node) finds its name and the others read "Unknown"; the appended text names all four.
 */
const ontMasked = (v: number): string => (v === 0 ? 'B-node' : 'Unknown');

defineField({
  name: 'nbns.nb_flags', label: 'Name flags', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: PROTO, parent: '_text.nbns.record',
  count: (d) => countEntries(d, nbFlagsWords), num: (d, i) => u16(d, nbFlagsAt(d, i)),
  display: (d, i) => {
    const f = u16(d, nbFlagsAt(d, i));
    const group = (f & NB_GROUP) !== 0;
    return `${hex(f, 4)}${group ? ', Name type' : ''}, ONT: ${ontMasked((f & NB_ONT) >> ONT_SHIFT)} (${NB_NODE_TYPES[(f & NB_ONT) >> ONT_SHIFT]}, ${group ? 'group' : 'unique'})`;
  },
  range: (d, i, o) => o.set(d.buf, nbFlagsAt(d, i), NB_FLAGS_LEN),
});
/** The group and owner-node-type bits both flags words have (NB flags and node status name flags). */
function groupAndOnt(prefix: string, parent: string, at: (d: Dissection, i: number) => number, count: (d: Dissection) => number): void {
  defineField({
    name: `${prefix}.group`, label: 'Name type', type: FT.Bool, proto: PROTO, parent, mask: NB_GROUP, bitWidth: 16, count,
    unit: (d, i) => u16(d, at(d, i)), num: (d, i) => ((u16(d, at(d, i)) & NB_GROUP) !== 0 ? 1 : 0),
    display: (d, i) => ((u16(d, at(d, i)) & NB_GROUP) !== 0 ? 'Group name' : 'Unique name'), range: (d, i, o) => o.set(d.buf, at(d, i), 2),
  });
  defineField({
    name: `${prefix}.ont`, label: 'ONT', type: FT.UInt, valueBits: 16, proto: PROTO, parent, mask: NB_ONT, bitWidth: 16, count,
    unit: (d, i) => u16(d, at(d, i)), num: (d, i) => (u16(d, at(d, i)) & NB_ONT) >> ONT_SHIFT,
    display: (d, i) => { const v = (u16(d, at(d, i)) & NB_ONT) >> ONT_SHIFT; return `${ontMasked(v)} (${v})`; },
    range: (d, i, o) => o.set(d.buf, at(d, i), 2),
  });
}
groupAndOnt('nbns.nb_flags', 'nbns.nb_flags', nbFlagsAt, (d) => countEntries(d, nbFlagsWords));
defineField({
  name: 'nbns.addr', label: 'Addr', type: FT.IPv4, proto: PROTO, parent: '_text.nbns.record', count: (d) => countEntries(d, nbAddresses),
  num: (d, i) => d.buf.readUInt32BE(nbFlagsAt(d, i) + NB_FLAGS_LEN),
  display: (d, i) => ipv4At(d.buf, nbFlagsAt(d, i) + NB_FLAGS_LEN),
  range: (d, i, o) => o.set(d.buf, nbFlagsAt(d, i) + NB_FLAGS_LEN, 4),
});

// ---- NBSTAT records: the node's name table and statistics (RFC 1002 §4.2.18) ----

const isStat = (d: Dissection, l: NbnsLayer, r: number): boolean => isRR(l, r) && typeOf(d, l, r) === T_NBSTAT;
const statCounted = (d: Dissection, l: NbnsLayer, r: number): number => (isStat(d, l, r) && dataLength(d, l, r) >= 1 ? 1 : 0);
defineField({
  name: 'nbns.number_of_names', label: 'Number of names', type: FT.UInt, valueBits: 8, proto: PROTO, parent: '_text.nbns.record',
  count: (d) => countEntries(d, statCounted),
  num: (d, i) => d.buf[dataOff(layer(d), nthEntry(d, i, statCounted))],
  range: (d, i, o) => o.set(d.buf, dataOff(layer(d), nthEntry(d, i, statCounted)), 1),
});
const statNames = (d: Dissection, l: NbnsLayer, r: number): number => (isStat(d, l, r) ? l.statNames[r] : 0);
const statNameFlags = (d: Dissection, l: NbnsLayer, r: number): number => (isStat(d, l, r) ? l.statNameFlags[r] : 0);
const statNameAt = (d: Dissection, i: number, entries = statNames): number => {
  const r = nthEntry(d, i, entries);
  return dataOff(layer(d), r) + 1 + entryIndex * NODE_NAME_ENTRY_LEN;
};
defineField({
  name: 'nbns.netbios_name', label: 'Name', type: FT.String, proto: PROTO, parent: '_text.nbns.record', count: (d) => countEntries(d, statNames),
  text: (d, i) => rawNetbiosName(d.buf, statNameAt(d, i)),
  display: (d, i) => {
    const p = statNameAt(d, i);
    const type = d.buf[p + NETBIOS_NAME_LEN - 1];
    return `${rawNetbiosName(d.buf, p)}<${type.toString(16).padStart(2, '0')}> (${nameTypeDescription(type)})`;
  },
  range: (d, i, o) => o.set(d.buf, statNameAt(d, i), NETBIOS_NAME_LEN),
});
const nameFlagsAt = (d: Dissection, i: number): number => statNameAt(d, i, statNameFlags) + NETBIOS_NAME_LEN;
const nameFlagsCount = (d: Dissection): number => countEntries(d, statNameFlags);
const NAME_FLAG_BITS: readonly [string, string, number, string][] = [
  ['nbns.name_flags.drg', 'Name is being deregistered', 0x1000, 'Name is being deregistered'],
  ['nbns.name_flags.cnf', 'Name is in conflict', 0x0800, 'Name is in conflict'],
  ['nbns.name_flags.act', 'Name is active', 0x0400, 'Name is active'],
  ['nbns.name_flags.prm', 'Permanent node name', 0x0200, 'Permanent node name'],
];
defineField({
  name: 'nbns.name_flags', label: 'Name flags', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: PROTO, parent: '_text.nbns.record',
  count: nameFlagsCount, num: (d, i) => u16(d, nameFlagsAt(d, i)),
  display: (d, i) => {
    const f = u16(d, nameFlagsAt(d, i));
    let s = `${hex(f, 4)}${(f & NB_GROUP) !== 0 ? ', Name type' : ''}, ONT: ${ontMasked((f & NB_ONT) >> ONT_SHIFT)}`;
    for (const [, label, mask] of NAME_FLAG_BITS) if ((f & mask) !== 0) s += `, ${label}`;
    return s;
  },
  range: (d, i, o) => o.set(d.buf, nameFlagsAt(d, i), 2),
});
groupAndOnt('nbns.name_flags', 'nbns.name_flags', nameFlagsAt, nameFlagsCount);
for (const [name, label, mask] of NAME_FLAG_BITS) {
  defineField({
    name, label, type: FT.Bool, proto: PROTO, parent: 'nbns.name_flags', mask, bitWidth: 16, count: nameFlagsCount,
    unit: (d, i) => u16(d, nameFlagsAt(d, i)), num: (d, i) => ((u16(d, nameFlagsAt(d, i)) & mask) !== 0 ? 1 : 0),
    display: (d, i) => ((u16(d, nameFlagsAt(d, i)) & mask) !== 0 ? 'Yes' : 'No'), range: (d, i, o) => o.set(d.buf, nameFlagsAt(d, i), 2),
  });
}

/** Where record r's statistics start: after its name table, when the whole table was read. */
const statisticsOff = (l: NbnsLayer, r: number): number => dataOff(l, r) + 1 + l.statNameFlags[r] * NODE_NAME_ENTRY_LEN;
const STATISTICS: readonly [string, string, FT, number, 8 | 16 | 32 | undefined][] = [
  ['nbns.unit_id', 'Unit ID', FT.Ether, 0, undefined], ['nbns.jumpers', 'Jumpers', FT.Hex, 2, 8],
  ['nbns.test_result', 'Test result', FT.Hex, 2, 8], ['nbns.version_number', 'Version number', FT.Hex, 4, 16],
  ['nbns.period_of_statistics', 'Period of statistics', FT.Hex, 4, 16], ['nbns.num_crcs', 'Number of CRCs', FT.UInt, 0, 16],
  ['nbns.num_alignment_errors', 'Number of alignment errors', FT.UInt, 0, 16], ['nbns.num_collisions', 'Number of collisions', FT.UInt, 0, 16],
  ['nbns.num_send_aborts', 'Number of send aborts', FT.UInt, 0, 16], ['nbns.num_good_sends', 'Number of good sends', FT.UInt, 0, 32],
  ['nbns.num_good_receives', 'Number of good receives', FT.UInt, 0, 32], ['nbns.numretransmits', 'Number of retransmits', FT.UInt, 0, 16],
  ['nbns.num_no_resource_conditions', 'Number of no resource conditions', FT.UInt, 0, 16],
  ['nbns.numcommand_blocks', 'Number of command blocks', FT.UInt, 0, 16], ['nbns.numpending_sessions', 'Number of pending sessions', FT.UInt, 0, 16],
  ['nbns.max_num_pending_sessions', 'Max number of pending sessions', FT.UInt, 0, 16],
  ['nbns.max_total_sessions_possible', 'Max total sessions possible', FT.UInt, 0, 16],
  ['nbns.session_data_packet_size', 'Session data packet size', FT.UInt, 0, 16],
];
let statisticAt = 0;
STATISTICS.forEach(([name, label, type, hexDigits, valueBits], k) => {
  const at = statisticAt;
  const size = STATISTICS_SIZES[k];
  statisticAt += size;
  // The statistic is there when the record's walk (index.ts) reached past it.
  const present = (d: Dissection, l: NbnsLayer, r: number): number =>
    isStat(d, l, r) && l.statNames[r] === d.buf[dataOff(l, r)] && l.statNameFlags[r] === l.statNames[r] && statisticsOff(l, r) + at + size <= l.recEnd[r] ? 1 : 0;
  const off = (d: Dissection, i: number): number => { const r = nthEntry(d, i, present); return statisticsOff(layer(d), r) + at; };
  defineField({
    name, label, type, proto: PROTO, parent: '_text.nbns.record', count: (d) => countEntries(d, present),
    ...(hexDigits > 0 ? { hexDigits } : {}), ...(valueBits !== undefined ? { valueBits } : {}),
    ...(type === FT.Ether
      ? { bytes: (d: Dissection, i: number, o: Span) => o.set(d.buf, off(d, i), size) }
      : { num: (d: Dissection, i: number) => d.buf.readUIntBE(off(d, i), size) }),
    range: (d, i, o) => o.set(d.buf, off(d, i), size),
  });
});

const incomplete = (_d: Dissection, l: NbnsLayer, r: number): number => (l.incompleteOff[r] >= 0 ? 1 : 0);
defineField({
  name: 'nbns.incomplete_entry', label: 'incomplete entry', type: FT.None, proto: PROTO, parent: '_text.nbns.record',
  expert: { severity: 'Error', group: 'Malformed' }, count: (d) => countEntries(d, incomplete), text: () => 'incomplete entry',
  range: (d, i, o) => {
    const l = layer(d);
    const r = nthEntry(d, i, incomplete);
    return o.set(d.buf, l.incompleteOff[r], Math.min(l.incompleteLen[r], l.end - l.incompleteOff[r]));
  },
});
