// DNS fields under tshark 4.0's names and types (`tshark -G fields`), read from the layer's
// offsets. Occurrences run in frame order (message by message, record by record), as tshark's do,
// so `-E occurrence=f` picks the same one. Names are expanded into text only when a view asks.
//
// The tree is Wireshark's: the header fields and the flags as bits, then `Queries` holding one
// node per question (`www.example.com: type A, class IN`), `Answers`, `Authoritative nameservers`
// and `Additional records` holding one node per record, then the matching results.

import { defineForwardRef } from '../../fields/forward-refs';
import { Dissection } from '../../decode/dissection';
import { defineField, FieldDef, FT, Span } from '../../fields/registry';
import { bitPattern } from '../../fields/tree';
import { absoluteTimeText, hexOf, ipv4At, ipv6At, MISSING_BYTES as MISSING, secondsText } from '../../fields/format';
import { BAD_DATA_CUT, DnsKind, DnsLayer, Section } from './layer';
import { dnsLayerOf } from './register';
import { dnsMatchOf } from './matching';
import { classOf, dataName, ownerName, rdataLen, rdataOff, recordType } from './summary';
import {
  TYPE_DESCRIPTIONS, OPTION_NAMES, className, opcodeName, rcodeName, typeName,
} from './types';
import {
  C_IN, DNS_FLAGS, DNS_ID, DNS_QDCOUNT, DNS_TCP_LENGTH_LEN, F_AUTHENTIC, F_AUTHORITATIVE, F_CHECKDISABLE,
  F_OPCODE, F_RCODE, F_RECAVAIL, F_RECDESIRED, F_RESPONSE, F_TRUNCATED, F_Z, OPCODE_SHIFT, RR_CLASS, RR_RDLENGTH, RR_TTL,
  RR_TYPE, T_A, T_AAAA, T_CNAME, T_HTTPS, T_MX, T_NS, T_OPT, T_PTR, T_SOA, T_SRV, T_SVCB, T_TXT, labelCount, nameLength,
  walkName,
} from './wire';

const PROTO = 'dns';
const hex = (v: number, digits: number): string => '0x' + v.toString(16).padStart(digits, '0');

// ---- messages ----

/**
 * Where the ID and flags end: a message cut inside its header still shows those (tshark reads the
 * header field by field, and the frame is malformed from the first one missing).
 */
const FLAGS_END = DNS_FLAGS + 2;

/** The i-th message that has its flags. */
function headerMsg(l: DnsLayer, i: number): number {
  for (let m = 0; m < l.msgCount; m++) if (l.msgEnd[m] - l.msgOff[m] >= FLAGS_END && i-- === 0) return m;
  return -1;
}

const layer = (d: Dissection): DnsLayer => dnsLayerOf(d)!;
const flagsOf = (d: Dissection, m: number): number => layer(d).buf.readUInt16BE(layer(d).msgOff[m] + DNS_FLAGS);
const isResponse = (d: Dissection, m: number): boolean => (flagsOf(d, m) & F_RESPONSE) !== 0;
/** Where message m's bytes start, its TCP length field included. */
const messageStart = (l: DnsLayer, m: number): number => (l.lengthOff[m] >= 0 ? l.lengthOff[m] : l.msgOff[m]);

const ROOT_LABELS = ['Domain Name System', 'Multicast Domain Name System', 'Link-local Multicast Name Resolution'];

// The protocol's own field, one per message: `dns`, and `mdns` and `llmnr` for the protocols that
// share its format, whose trees list the same dns.* fields (as Wireshark's do).
// tshark's short names, where not the filter name in capitals
const ROOTS: [string, DnsKind, string?][] = [['dns', DnsKind.Dns], ['mdns', DnsKind.Mdns, 'mDNS'], ['llmnr', DnsKind.Llmnr]];
for (const [name, kind, shortName] of ROOTS) {
  defineField({
    name, label: ROOT_LABELS[kind], shortName, type: FT.None, proto: name, fieldsFrom: kind === DnsKind.Dns ? undefined : PROTO,
    count: (d) => { const l = dnsLayerOf(d); return l !== null && l.kind === kind ? l.msgCount : 0; },
    text: (d, m) => {
      const l = layer(d);
      if (l.msgEnd[m] - l.msgOff[m] < FLAGS_END) return ROOT_LABELS[kind];
      return `${ROOT_LABELS[kind]} (${isResponse(d, m) ? 'response' : 'query'})`;
    },
    range: (d, m, o) => { const l = layer(d); return o.set(layer(d).buf, messageStart(l, m), l.msgEnd[m] - messageStart(l, m)); },
  });
}

/** A field of each message whose header reaches it: `at` is its offset in the header, `width` its bytes. */
function headerField(def: Omit<FieldDef, 'count' | 'proto' | 'num' | 'range'> & { at: number; width: number; when?: (d: Dissection, m: number) => boolean; value?: (d: Dissection, m: number) => number }): void {
  const { at, width, when, value, ...rest } = def;
  const nth = (d: Dissection, i: number): number => {
    const l = layer(d);
    for (let m = 0; m < l.msgCount; m++) {
      if (l.msgEnd[m] - l.msgOff[m] < at + width || (when !== undefined && !when(d, m))) continue;
      if (i-- === 0) return m;
    }
    return -1;
  };
  defineField({
    ...rest, proto: PROTO,
    count: (d) => {
      const l = dnsLayerOf(d);
      if (l === null) return 0;
      let n = 0;
      for (let m = 0; m < l.msgCount; m++) if (l.msgEnd[m] - l.msgOff[m] >= at + width && (when === undefined || when(d, m))) n++;
      return n;
    },
    num: (d, i) => { const m = nth(d, i); return value !== undefined ? value(d, m) : layer(d).buf.readUIntBE(layer(d).msgOff[m] + at, width); },
    range: (d, i, o) => o.set(layer(d).buf, layer(d).msgOff[nth(d, i)] + at, width),
  });
}

defineField({
  name: 'dns.length', valueBits: 16, label: 'Length', type: FT.UInt, proto: PROTO,
  count: (d) => { const l = dnsLayerOf(d); let n = 0; if (l !== null) for (let m = 0; m < l.msgCount; m++) if (l.lengthOff[m] >= 0) n++; return n; },
  num: (d, i) => { const l = layer(d); for (let m = 0; m < l.msgCount; m++) if (l.lengthOff[m] >= 0 && i-- === 0) return layer(d).buf.readUInt16BE(l.lengthOff[m]); return 0; },
  range: (d, i, o) => { const l = layer(d); for (let m = 0; m < l.msgCount; m++) if (l.lengthOff[m] >= 0 && i-- === 0) return o.set(layer(d).buf, l.lengthOff[m], DNS_TCP_LENGTH_LEN); return false; },
});
headerField({ name: 'dns.id', valueBits: 16, label: 'Transaction ID', type: FT.Hex, hexDigits: 4, at: DNS_ID, width: 2 });

function flagsSummary(d: Dissection, m: number): string {
  const f = flagsOf(d, m);
  const op = opcodeName((f & F_OPCODE) >> OPCODE_SHIFT);
  return (f & F_RESPONSE) !== 0 ? `${op} response, ${rcodeName(f & F_RCODE)}` : op;
}
headerField({
  name: 'dns.flags', valueBits: 16, label: 'Flags', type: FT.Hex, hexDigits: 4, at: DNS_FLAGS, width: 2,
  display: (d, i) => { const m = headerMsg(layer(d), i); return `${hex(flagsOf(d, m), 4)} ${flagsSummary(d, m)}`; },
});

/** A flag bit: its label and what each value means, as Wireshark's true_false strings say. */
function flagField(name: string, mask: number, label: string, set: string, clear: string, when?: (d: Dissection, m: number) => boolean, queryLabel?: [string, string, string]): void {
  const nth = (d: Dissection, i: number): number => {
    const l = layer(d);
    for (let m = 0; m < l.msgCount; m++) {
      if (l.msgEnd[m] - l.msgOff[m] < FLAGS_END || (when !== undefined && !when(d, m))) continue;
      if (i-- === 0) return m;
    }
    return -1;
  };
  const words = (d: Dissection, m: number): string => {
    const [s, c] = queryLabel !== undefined && !isResponse(d, m) ? [queryLabel[1], queryLabel[2]] : [set, clear];
    return (flagsOf(d, m) & mask) !== 0 ? s : c;
  };
  headerField({
    name, label, type: FT.Bool, at: DNS_FLAGS, width: 2, when, parent: 'dns.flags', mask, bitWidth: 16,
    value: (d, m) => ((flagsOf(d, m) & mask) !== 0 ? 1 : 0),
    heading: (d, i) => {
      const m = nth(d, i);
      const f = flagsOf(d, m);
      const l = queryLabel !== undefined && !isResponse(d, m) ? queryLabel[0] : label;
      return `${bitPattern(mask, 16, f)} = ${l}: ${words(d, m)}`;
    },
    // The value's words, which a resolved custom column shows too.
    display: (d, i) => words(d, nth(d, i)),
  });
}
const response = (d: Dissection, m: number): boolean => isResponse(d, m);
// LLMNR (RFC 4795 §2.1.1) keeps only C, TC and T of these bits; tshark shows those alone for it.
const llmnr = (d: Dissection): boolean => layer(d).kind === DnsKind.Llmnr;
const notLlmnr = (d: Dissection): boolean => !llmnr(d);
const dnsResponse = (d: Dissection, m: number): boolean => notLlmnr(d) && isResponse(d, m);
flagField('dns.flags.response', F_RESPONSE, 'Response', 'Message is a response', 'Message is a query');
headerField({
  name: 'dns.flags.opcode', valueBits: 16, label: 'Opcode', type: FT.UInt, at: DNS_FLAGS, width: 2, parent: 'dns.flags', mask: F_OPCODE, bitWidth: 16,
  value: (d, m) => (flagsOf(d, m) & F_OPCODE) >> OPCODE_SHIFT,
  heading: (d, i) => { const f = flagsOf(d, headerMsg(layer(d), i)); const op = (f & F_OPCODE) >> OPCODE_SHIFT; return `${bitPattern(F_OPCODE, 16, f)} = Opcode: ${opcodeName(op)} (${op})`; },
});
flagField('dns.flags.authoritative', F_AUTHORITATIVE, 'Authoritative', 'Server is an authority for domain', 'Server is not an authority for domain', dnsResponse);
flagField('dns.flags.conflict', F_AUTHORITATIVE, 'Conflict', 'The name is not considered unique', 'The name is considered unique', llmnr,
  ['Conflict', 'The sender received multiple responses', 'None']);
flagField('dns.flags.truncated', F_TRUNCATED, 'Truncated', 'Message is truncated', 'Message is not truncated');
flagField('dns.flags.recdesired', F_RECDESIRED, 'Recursion desired', 'Do query recursively', "Don't do query recursively", notLlmnr);
flagField('dns.flags.tentative', F_RECDESIRED, 'Tentative', 'Tentative', 'Not tentative', llmnr);
flagField('dns.flags.recavail', F_RECAVAIL, 'Recursion available', 'Server can do recursive queries', "Server can't do recursive queries", dnsResponse);
flagField('dns.flags.z', F_Z, 'Z', 'reserved - incorrect!', 'reserved (0)', notLlmnr);
// In a query the bit is RFC 6840 §5.7's "AD bit", which tshark shows only when it is set.
flagField('dns.flags.authenticated', F_AUTHENTIC, 'Answer authenticated', 'Answer/authority portion was authenticated by the server',
  'Answer/authority portion was not authenticated by the server', (d, m) => notLlmnr(d) && (isResponse(d, m) || (flagsOf(d, m) & F_AUTHENTIC) !== 0),
  ['AD bit', 'Set', 'Not set']);
flagField('dns.flags.checkdisable', F_CHECKDISABLE, 'Non-authenticated data', 'Acceptable', 'Unacceptable', notLlmnr);
headerField({
  name: 'dns.flags.rcode', valueBits: 16, label: 'Reply code', type: FT.UInt, at: DNS_FLAGS, width: 2, parent: 'dns.flags', mask: F_RCODE, bitWidth: 16, when: response,
  value: (d, m) => flagsOf(d, m) & F_RCODE,
  heading: (d, i) => { const f = flagsOf(d, headerMsg(layer(d), i)); return `${bitPattern(F_RCODE, 16, f)} = Reply code: ${rcodeName(f & F_RCODE)} (${f & F_RCODE})`; },
});
const COUNT_FIELDS: [string, string][] = [
  ['dns.count.queries', 'Questions'], ['dns.count.answers', 'Answer RRs'], ['dns.count.auth_rr', 'Authority RRs'], ['dns.count.add_rr', 'Additional RRs'],
];
COUNT_FIELDS.forEach(([name, label], section) => headerField({ name, valueBits: 16, label, type: FT.UInt, at: DNS_QDCOUNT + 2 * section, width: 2 }));

// ---- questions and records ----

/**
 * The records of the frame that `keep` selects, in frame order, worked out once per frame and
 * field: the layer, the frame number and the buffer say whether the list is still the frame's.
 */
class Selection {
  private list = new Int32Array(64);
  private n = 0;
  private forLayer: DnsLayer | null = null;
  private forNumber = -1;
  private forBuf: Buffer | null = null;
  private forCount = -1;

  constructor(private readonly keep: (d: Dissection, l: DnsLayer, r: number) => boolean) {}

  private refresh(d: Dissection, l: DnsLayer): void {
    if (this.forLayer === l && this.forNumber === d.number && this.forBuf === d.buf && this.forCount === l.recCount) return;
    this.n = 0;
    for (let r = 0; r < l.recCount; r++) {
      if (!this.keep(d, l, r)) continue;
      if (this.n === this.list.length) { const bigger = new Int32Array(this.list.length * 2); bigger.set(this.list); this.list = bigger; }
      this.list[this.n++] = r;
    }
    this.forLayer = l;
    this.forNumber = d.number;
    this.forBuf = d.buf;
    this.forCount = l.recCount;
  }

  count(d: Dissection): number {
    const l = dnsLayerOf(d);
    if (l === null) return 0;
    this.refresh(d, l);
    return this.n;
  }

  /** The record index of occurrence i. */
  at(d: Dissection, i: number): number {
    const l = layer(d);
    this.refresh(d, l);
    return i < this.n ? this.list[i] : -1;
  }
}

const isQuestion = (_d: Dissection, l: DnsLayer, r: number): boolean => l.recSection[r] === Section.Question;
/** A record the tree shows: not one that runs past its message (tshark cannot make its subtree). */
const isRecord = (_d: Dissection, l: DnsLayer, r: number): boolean => l.recSection[r] !== Section.Question && l.recBadData[r] !== BAD_DATA_CUT;
/** A record whose data tshark reads: not cut short, and with data. */
const hasData = (d: Dissection, l: DnsLayer, r: number): boolean => isRecord(d, l, r) && l.recBadData[r] === 0 && rdataLen(d, l, r) > 0;
const ofType = (type: number) => (d: Dissection, l: DnsLayer, r: number): boolean => hasData(d, l, r) && recordType(d, l, r) === type;

function recordField(def: Omit<FieldDef, 'count' | 'proto'> & { sel: Selection; count?: (d: Dissection) => number }): Selection {
  const { sel, count, ...rest } = def;
  defineField({ ...rest, proto: PROTO, count: count ?? ((d) => sel.count(d)) });
  return sel;
}

// The section nodes (`Queries`, `Answers` …): one per section that has records, in each message.
const SECTION_LABELS = ['Queries', 'Answers', 'Authoritative nameservers', 'Additional records'];
const SECTION_FIELDS = ['dns.queries', 'dns.answers', 'dns.authorities', 'dns.additional_records'];
const sectionStarts = SECTION_FIELDS.map((_n, section) => new Selection((_d, l, r) =>
  l.recSection[r] === section && (r === l.firstRecord[l.recMsg[r]] || l.recSection[r - 1] !== section || l.recMsg[r - 1] !== l.recMsg[r])));
SECTION_FIELDS.forEach((name, section) => {
  const sel = sectionStarts[section];
  defineField({
    name, label: SECTION_LABELS[section], type: FT.None, proto: PROTO, textNode: true, count: (d) => sel.count(d), text: () => SECTION_LABELS[section],
    range: (d, i, o) => {
      const l = layer(d);
      const first = sel.at(d, i);
      let last = first;
      while (last + 1 < l.recCount && l.recSection[last + 1] === section && l.recMsg[last + 1] === l.recMsg[first]) last++;
      return o.set(layer(d).buf, l.recOff[first], l.recEnd[last] - l.recOff[first]);
    },
  });
});

const questions = new Selection(isQuestion);
const records = new Selection(isRecord);

function recordHeading(d: Dissection, l: DnsLayer, r: number): string {
  const type = recordType(d, l, r);
  const owner = ownerName(d, l, r);
  if (type === T_OPT) return `${owner}: type ${typeName(type)}`;
  let s = `${owner}: type ${typeName(type)}, class ${className(classOf(d, l, r))}`;
  if (!hasData(d, l, r)) return s;
  const p = rdataOff(l, r);
  switch (type) {
    case T_A: if (classOf(d, l, r) === C_IN) s += `, addr ${ipv4At(layer(d).buf, p)}`; break;
    case T_AAAA: s += `, addr ${ipv6At(layer(d).buf, p)}`; break;
    case T_NS: s += `, ns ${dataName(d, l, r, p)}`; break;
    case T_CNAME: s += `, cname ${dataName(d, l, r, p)}`; break;
    case T_PTR: s += `, ${dataName(d, l, r, p)}`; break;
    case T_SOA: s += `, mname ${dataName(d, l, r, p)}`; break;
    case T_MX: s += `, preference ${layer(d).buf.readUInt16BE(p)}, mx ${dataName(d, l, r, p + 2)}`; break;
    case T_SRV:
      s += `, priority ${layer(d).buf.readUInt16BE(p)}, weight ${layer(d).buf.readUInt16BE(p + 2)}, port ${layer(d).buf.readUInt16BE(p + 4)}, target ${dataName(d, l, r, p + 6)}`;
      break;
  }
  return s;
}

defineField({
  name: 'dns.query', label: 'Query', type: FT.None, proto: PROTO, textNode: true, parent: 'dns.queries', count: (d) => questions.count(d),
  text: (d, i) => { const l = layer(d); const r = questions.at(d, i); return `${ownerName(d, l, r)}: type ${typeName(recordType(d, l, r))}, class ${className(classOf(d, l, r))}`; },
  range: (d, i, o) => { const l = layer(d); const r = questions.at(d, i); return o.set(layer(d).buf, l.recOff[r], l.recEnd[r] - l.recOff[r]); },
});
defineField({
  name: 'dns.resource_record', label: 'Resource record', type: FT.None, proto: PROTO, textNode: true, parent: SECTION_FIELDS.slice(1), count: (d) => records.count(d),
  text: (d, i) => recordHeading(d, layer(d), records.at(d, i)),
  range: (d, i, o) => { const l = layer(d); const r = records.at(d, i); return o.set(layer(d).buf, l.recOff[r], l.recEnd[r] - l.recOff[r]); },
});

const nameRange = (sel: Selection) => (d: Dissection, i: number, o: Span): boolean => {
  const l = layer(d); const r = sel.at(d, i); return o.set(layer(d).buf, l.recOff[r], l.recNameEnd[r] - l.recOff[r]);
};
const typeDisplay = (t: number): string => `${TYPE_DESCRIPTIONS[t] ?? `Unknown (${t})`} (${t})`;
const classDisplay = (c: number): string => `${className(c)} (${hex(c, 4)})`;

recordField({
  name: 'dns.qry.name', label: 'Name', type: FT.String, parent: 'dns.query', sel: questions,
  text: (d, i) => ownerName(d, layer(d), questions.at(d, i)), range: nameRange(questions),
});
recordField({
  name: 'dns.qry.name.len', valueBits: 16, label: 'Name Length', type: FT.UInt, parent: 'dns.query', generated: true, sel: questions,
  num: (d, i) => nameLength(ownerName(d, layer(d), questions.at(d, i))), range: nameRange(questions),
});
recordField({
  name: 'dns.count.labels', valueBits: 16, label: 'Label Count', type: FT.UInt, parent: 'dns.query', generated: true, sel: questions,
  num: (d, i) => labelCount(ownerName(d, layer(d), questions.at(d, i))), range: nameRange(questions),
});
recordField({
  name: 'dns.qry.type', valueBits: 16, label: 'Type', type: FT.UInt, parent: 'dns.query', sel: questions,
  num: (d, i) => recordType(d, layer(d), questions.at(d, i)), display: (d, i) => typeDisplay(recordType(d, layer(d), questions.at(d, i))),
  range: (d, i, o) => o.set(layer(d).buf, layer(d).recNameEnd[questions.at(d, i)] + RR_TYPE, 2),
});
recordField({
  name: 'dns.qry.class', valueBits: 16, label: 'Class', type: FT.Hex, hexDigits: 4, parent: 'dns.query', sel: questions,
  num: (d, i) => classOf(d, layer(d), questions.at(d, i)), display: (d, i) => classDisplay(classOf(d, layer(d), questions.at(d, i))),
  range: (d, i, o) => o.set(layer(d).buf, layer(d).recNameEnd[questions.at(d, i)] + RR_CLASS, 2),
});

// Each record's own fields. SRV records name their owner as service, protocol and name instead
// (Wireshark splits `_sip._tcp.example.com`), and OPT has no class and TTL (RFC 6891 §6.1.2).
const RECORD = 'dns.resource_record';
const isSrv = (d: Dissection, l: DnsLayer, r: number): boolean => recordType(d, l, r) === T_SRV && ownerName(d, l, r) !== '<Root>';
const notSrv = new Selection((d, l, r) => isRecord(d, l, r) && !isSrv(d, l, r));
const srvOwners = new Selection((d, l, r) => isRecord(d, l, r) && isSrv(d, l, r));
const notOpt = new Selection((d, l, r) => isRecord(d, l, r) && recordType(d, l, r) !== T_OPT);
const fixedAt = (sel: Selection, at: number, width: number) => (d: Dissection, i: number, o: Span): boolean =>
  o.set(layer(d).buf, layer(d).recNameEnd[sel.at(d, i)] + at, width);

recordField({
  name: 'dns.resp.name', label: 'Name', type: FT.String, parent: RECORD, sel: notSrv,
  text: (d, i) => ownerName(d, layer(d), notSrv.at(d, i)), range: nameRange(notSrv),
});
const srvPart = (d: Dissection, i: number, part: number): string => {
  const labels = ownerName(d, layer(d), srvOwners.at(d, i)).split('.');
  return part < 2 ? labels[part] ?? '' : labels.slice(2).join('.');
};
for (const [name, label, part] of [['dns.srv.service', 'Service', 0], ['dns.srv.proto', 'Protocol', 1], ['dns.srv.name', 'Name', 2]] as const) {
  recordField({
    name, label, type: FT.String, parent: RECORD, sel: srvOwners,
    count: (d) => (part < 2 ? srvOwners.count(d) : countSrvNames(d)),
    text: (d, i) => srvPart(d, part < 2 ? i : srvNameAt(d, i), part),
    range: (d, i, o) => nameRange(srvOwners)(d, part < 2 ? i : srvNameAt(d, i), o),
  });
}
function countSrvNames(d: Dissection): number {
  let n = 0;
  for (let i = 0; i < srvOwners.count(d); i++) if (ownerName(d, layer(d), srvOwners.at(d, i)).split('.').length > 2) n++;
  return n;
}
function srvNameAt(d: Dissection, k: number): number {
  for (let i = 0; i < srvOwners.count(d); i++) if (ownerName(d, layer(d), srvOwners.at(d, i)).split('.').length > 2 && k-- === 0) return i;
  return -1;
}
recordField({
  name: 'dns.resp.type', valueBits: 16, label: 'Type', type: FT.UInt, parent: RECORD, sel: records,
  num: (d, i) => recordType(d, layer(d), records.at(d, i)), display: (d, i) => typeDisplay(recordType(d, layer(d), records.at(d, i))),
  range: fixedAt(records, RR_TYPE, 2),
});
recordField({
  name: 'dns.resp.class', valueBits: 16, label: 'Class', type: FT.Hex, hexDigits: 4, parent: RECORD, sel: notOpt,
  num: (d, i) => classOf(d, layer(d), notOpt.at(d, i)), display: (d, i) => classDisplay(classOf(d, layer(d), notOpt.at(d, i))),
  range: fixedAt(notOpt, RR_CLASS, 2),
});
const ttlOf = (d: Dissection, i: number): number => layer(d).buf.readUInt32BE(layer(d).recNameEnd[notOpt.at(d, i)] + RR_TTL);
recordField({
  name: 'dns.resp.ttl', valueBits: 32, label: 'Time to live', type: FT.UInt, parent: RECORD, sel: notOpt,
  num: ttlOf, display: (d, i) => `${ttlOf(d, i)} (${secondsText(ttlOf(d, i))})`, range: fixedAt(notOpt, RR_TTL, 4),
});

// OPT's fixed part (RFC 6891 §6.1.3): the class is the UDP payload size, the TTL the extended
// RCODE, the version and the flags (DO, RFC 3225).
const opts = new Selection((d, l, r) => isRecord(d, l, r) && recordType(d, l, r) === T_OPT);
const optByte = (d: Dissection, i: number, k: number): number => layer(d).buf[layer(d).recNameEnd[opts.at(d, i)] + RR_TTL + k];
const optZ = (d: Dissection, i: number): number => layer(d).buf.readUInt16BE(layer(d).recNameEnd[opts.at(d, i)] + RR_TTL + 2);
recordField({
  name: 'dns.rr.udp_payload_size', valueBits: 16, label: 'UDP payload size', type: FT.UInt, parent: RECORD, sel: opts,
  num: (d, i) => layer(d).buf.readUInt16BE(layer(d).recNameEnd[opts.at(d, i)] + RR_CLASS), range: fixedAt(opts, RR_CLASS, 2),
});
recordField({
  name: 'dns.resp.ext_rcode', valueBits: 8, label: 'Higher bits in extended RCODE', type: FT.Hex, hexDigits: 2, parent: RECORD, sel: opts,
  num: (d, i) => optByte(d, i, 0), range: fixedAt(opts, RR_TTL, 1),
});
recordField({
  name: 'dns.resp.edns0_version', valueBits: 8, label: 'EDNS0 version', type: FT.UInt, parent: RECORD, sel: opts,
  num: (d, i) => optByte(d, i, 1), range: fixedAt(opts, RR_TTL + 1, 1),
});
recordField({
  name: 'dns.resp.z', valueBits: 16, label: 'Z', type: FT.Hex, hexDigits: 4, parent: RECORD, sel: opts, num: optZ, range: fixedAt(opts, RR_TTL + 2, 2),
});
recordField({
  name: 'dns.resp.z.do', label: 'DO bit', type: FT.Bool, parent: 'dns.resp.z', mask: 0x8000, bitWidth: 16, unit: optZ, sel: opts,
  num: (d, i) => ((optZ(d, i) & 0x8000) !== 0 ? 1 : 0), range: fixedAt(opts, RR_TTL + 2, 2),
  display: (d, i) => ((optZ(d, i) & 0x8000) !== 0 ? 'Accepts DNSSEC security RRs' : 'Cannot handle DNSSEC security RRs'),
});
recordField({
  name: 'dns.resp.z.reserved', valueBits: 16, label: 'Reserved', type: FT.Hex, hexDigits: 4, parent: 'dns.resp.z', mask: 0x7fff, bitWidth: 16, unit: optZ, sel: opts,
  num: (d, i) => optZ(d, i) & 0x7fff, range: fixedAt(opts, RR_TTL + 2, 2),
});
recordField({
  name: 'dns.resp.len', valueBits: 16, label: 'Data length', type: FT.UInt, parent: RECORD, sel: records,
  num: (d, i) => rdataLen(d, layer(d), records.at(d, i)), range: fixedAt(records, RR_RDLENGTH, 2),
});

// ---- record data ----

/** A field read from the data of records of one type: `at` is its offset in the data. */
function dataField(type: number, def: Omit<FieldDef, 'count' | 'proto' | 'range' | 'parent'> & { at?: (d: Dissection, l: DnsLayer, r: number) => number; width?: (d: Dissection, l: DnsLayer, r: number) => number; sel?: Selection }): Selection {
  const sel = def.sel ?? new Selection(ofType(type));
  const { at, width, sel: _sel, ...rest } = def;
  defineField({
    ...rest, proto: PROTO, parent: RECORD, count: (d) => sel.count(d),
    range: (d, i, o) => {
      const l = layer(d); const r = sel.at(d, i);
      const p = rdataOff(l, r) + (at !== undefined ? at(d, l, r) : 0);
      return o.set(layer(d).buf, p, width !== undefined ? width(d, l, r) : rdataLen(d, l, r));
    },
  });
  return sel;
}

/** Bytes a name at `p` takes in place inside record r's data. */
const nameBytes = (d: Dissection, l: DnsLayer, r: number, p: number): number => {
  const m = l.recMsg[r];
  const end = walkName(layer(d).buf, l.msgOff[m], l.msgEnd[m], p);
  return end > p ? end - p : 0;
};

const aRecords = new Selection((d, l, r) => ofType(T_A)(d, l, r) && classOf(d, l, r) === C_IN);
dataField(T_A, { name: 'dns.a', label: 'Address', type: FT.IPv4, sel: aRecords, width: () => 4,
  num: (d, i) => layer(d).buf.readUInt32BE(rdataOff(layer(d), aRecords.at(d, i))) });
const aaaa = new Selection(ofType(T_AAAA));
dataField(T_AAAA, { name: 'dns.aaaa', label: 'AAAA Address', type: FT.IPv6, sel: aaaa, width: () => 16,
  bytes: (d, i, o) => o.set(layer(d).buf, rdataOff(layer(d), aaaa.at(d, i)), 16) });
for (const [type, name, label] of [[T_NS, 'dns.ns', 'Name Server'], [T_CNAME, 'dns.cname', 'CNAME'], [T_PTR, 'dns.ptr.domain_name', 'Domain Name']] as const) {
  const sel = new Selection(ofType(type));
  dataField(type, { name, label, type: FT.String, sel, width: (d, l, r) => nameBytes(d, l, r, rdataOff(l, r)),
    text: (d, i) => { const l = layer(d); const r = sel.at(d, i); return dataName(d, l, r, rdataOff(l, r)); } });
}
const mx = new Selection(ofType(T_MX));
dataField(T_MX, { name: 'dns.mx.preference', valueBits: 16, label: 'Preference', type: FT.UInt, sel: mx, width: () => 2,
  num: (d, i) => layer(d).buf.readUInt16BE(rdataOff(layer(d), mx.at(d, i))) });
dataField(T_MX, { name: 'dns.mx.mail_exchange', label: 'Mail Exchange', type: FT.String, sel: mx, at: () => 2,
  width: (d, l, r) => nameBytes(d, l, r, rdataOff(l, r) + 2),
  text: (d, i) => { const l = layer(d); const r = mx.at(d, i); return dataName(d, l, r, rdataOff(l, r) + 2); } });

// SOA (RFC 1035 §3.3.13): MNAME, RNAME, then five 32-bit numbers.
const soa = new Selection(ofType(T_SOA));
const soaRname = (d: Dissection, l: DnsLayer, r: number): number => rdataOff(l, r) + nameBytes(d, l, r, rdataOff(l, r));
const soaNumbers = (d: Dissection, l: DnsLayer, r: number): number => soaRname(d, l, r) + nameBytes(d, l, r, soaRname(d, l, r));
dataField(T_SOA, { name: 'dns.soa.mname', label: 'Primary name server', type: FT.String, sel: soa, width: (d, l, r) => nameBytes(d, l, r, rdataOff(l, r)),
  text: (d, i) => { const l = layer(d); const r = soa.at(d, i); return dataName(d, l, r, rdataOff(l, r)); } });
dataField(T_SOA, { name: 'dns.soa.rname', label: "Responsible authority's mailbox", type: FT.String, sel: soa,
  at: (d, l, r) => soaRname(d, l, r) - rdataOff(l, r), width: (d, l, r) => nameBytes(d, l, r, soaRname(d, l, r)),
  text: (d, i) => { const l = layer(d); const r = soa.at(d, i); return dataName(d, l, r, soaRname(d, l, r)); } });
const SOA_NUMBERS: [string, string, boolean][] = [
  ['dns.soa.serial_number', 'Serial Number', false], ['dns.soa.refresh_interval', 'Refresh Interval', true],
  ['dns.soa.retry_interval', 'Retry Interval', true], ['dns.soa.expire_limit', 'Expire limit', true], ['dns.soa.minimum_ttl', 'Minimum TTL', true],
];
SOA_NUMBERS.forEach(([name, label, seconds], k) => {
  const value = (d: Dissection, i: number): number => { const l = layer(d); return layer(d).buf.readUInt32BE(soaNumbers(d, l, soa.at(d, i)) + 4 * k); };
  dataField(T_SOA, { name, valueBits: 32, label, type: FT.UInt, sel: soa, at: (d, l, r) => soaNumbers(d, l, r) + 4 * k - rdataOff(l, r), width: () => 4,
    num: value, display: seconds ? (d, i) => `${value(d, i)} (${secondsText(value(d, i))})` : undefined });
});

// SRV (RFC 2782): priority, weight, port, target.
const srv = new Selection(ofType(T_SRV));
(['dns.srv.priority', 'dns.srv.weight', 'dns.srv.port'] as const).forEach((name, k) => {
  dataField(T_SRV, { name, valueBits: 16, label: ['Priority', 'Weight', 'Port'][k], type: FT.UInt, sel: srv, at: () => 2 * k, width: () => 2,
    num: (d, i) => layer(d).buf.readUInt16BE(rdataOff(layer(d), srv.at(d, i)) + 2 * k) });
});
dataField(T_SRV, { name: 'dns.srv.target', label: 'Target', type: FT.String, sel: srv, at: () => 6,
  width: (d, l, r) => nameBytes(d, l, r, rdataOff(l, r) + 6),
  text: (d, i) => { const l = layer(d); const r = srv.at(d, i); return dataName(d, l, r, rdataOff(l, r) + 6); } });

// TXT (RFC 1035 §3.3.14): one or more length-prefixed strings; each is a dns.txt.length and a dns.txt.
const txt = new Selection(ofType(T_TXT));
/** Where the k-th string of the frame's TXT records starts (its length byte), in `txtAt`. */
const txtAt = new Int32Array(1);
function txtString(d: Dissection, k: number): boolean {
  const l = layer(d);
  for (let i = 0; i < txt.count(d); i++) {
    const r = txt.at(d, i);
    const end = rdataOff(l, r) + rdataLen(d, l, r);
    for (let p = rdataOff(l, r); p < end; p += 1 + layer(d).buf[p]) {
      if (k-- === 0) { txtAt[0] = p; return true; }
    }
  }
  return false;
}
function txtCount(d: Dissection): number {
  const l = dnsLayerOf(d);
  if (l === null) return 0;
  let n = 0;
  for (let i = 0; i < txt.count(d); i++) {
    const r = txt.at(d, i);
    const end = rdataOff(l, r) + rdataLen(d, l, r);
    for (let p = rdataOff(l, r); p < end; p += 1 + layer(d).buf[p]) n++;
  }
  return n;
}
/** The string's bytes, cut at its record's end when its length byte promises more. */
const txtEnd = (d: Dissection, p: number): number => Math.min(p + 1 + layer(d).buf[p], layer(d).end, layer(d).buf.length);
defineField({
  name: 'dns.txt.length', valueBits: 8, label: 'TXT Length', type: FT.UInt, proto: PROTO, parent: RECORD, count: txtCount,
  num: (d, k) => (txtString(d, k) ? layer(d).buf[txtAt[0]] : 0), range: (d, k, o) => txtString(d, k) && o.set(layer(d).buf, txtAt[0], 1),
});
defineField({
  name: 'dns.txt', label: 'TXT', type: FT.String, proto: PROTO, parent: RECORD, count: txtCount,
  bytes: (d, k, o) => txtString(d, k) && o.set(layer(d).buf, txtAt[0] + 1, txtEnd(d, txtAt[0]) - txtAt[0] - 1),
});

// SVCB and HTTPS (RFC 9460 §2.2): SvcPriority, TargetName, then parameters: key(2) length(2) value.
const svcb = new Selection((d, l, r) => hasData(d, l, r) && (recordType(d, l, r) === T_SVCB || recordType(d, l, r) === T_HTTPS));
dataField(T_SVCB, { name: 'dns.svcb.svcpriority', valueBits: 16, label: 'SvcPriority', type: FT.UInt, sel: svcb, width: () => 2,
  num: (d, i) => layer(d).buf.readUInt16BE(rdataOff(layer(d), svcb.at(d, i))) });
dataField(T_SVCB, { name: 'dns.svcb.targetname', label: 'TargetName', type: FT.String, sel: svcb, at: () => 2,
  width: (d, l, r) => nameBytes(d, l, r, rdataOff(l, r) + 2),
  text: (d, i) => { const l = layer(d); const r = svcb.at(d, i); return dataName(d, l, r, rdataOff(l, r) + 2); } });

/** The frame's SvcParams, in order: where each starts and ends (its value cut at the record's end). */
class SvcParams {
  off = new Int32Array(32);
  end = new Int32Array(32);
  n = 0;
  private forBuf: Buffer | null = null;
  private forNumber = -1;

  of(d: Dissection): this {
    if (this.forBuf === d.buf && this.forNumber === d.number) return this;
    this.forBuf = d.buf;
    this.forNumber = d.number;
    this.n = 0;
    const l = dnsLayerOf(d);
    if (l === null) return this;
    for (let i = 0; i < svcb.count(d); i++) {
      const r = svcb.at(d, i);
      const rdEnd = rdataOff(l, r) + rdataLen(d, l, r);
      const target = rdataOff(l, r) + 2;
      for (let p = target + nameBytes(d, l, r, target); p + 4 <= rdEnd; p += 4 + layer(d).buf.readUInt16BE(p + 2)) {
        if (this.n === this.off.length) {
          const off = new Int32Array(this.n * 2), end = new Int32Array(this.n * 2);
          off.set(this.off); end.set(this.end);
          this.off = off; this.end = end;
        }
        this.off[this.n] = p;
        this.end[this.n++] = Math.min(rdEnd, p + 4 + layer(d).buf.readUInt16BE(p + 2));
      }
    }
    return this;
  }
}
const svcParams = new SvcParams();
const SVC_KEY_NAMES: Readonly<Record<number, string>> = {
  0: 'mandatory', 1: 'alpn', 2: 'no-default-alpn', 3: 'port', 4: 'ipv4hint', 5: 'echconfig', 6: 'ipv6hint', 32769: 'odohconfig', 65535: 'key65535',
};
const svcKeyName = (k: number): string => SVC_KEY_NAMES[k] ?? `key${k}`;
const paramKey = (d: Dissection, k: number): number => layer(d).buf.readUInt16BE(svcParams.of(d).off[k]);

/** The value of SvcParam k as the tree's heading writes it (`alpn=h3,h2`). */
function paramValueText(d: Dissection, k: number): string {
  const ps = svcParams.of(d);
  const p = ps.off[k] + 4, end = ps.end[k];
  const parts: string[] = [];
  switch (paramKey(d, k)) {
    case 0: for (let q = p; q + 2 <= end; q += 2) parts.push(svcKeyName(layer(d).buf.readUInt16BE(q))); break;
    case 1: for (let q = p; q < end && q + 1 + layer(d).buf[q] <= end; q += 1 + layer(d).buf[q]) parts.push(layer(d).buf.toString('latin1', q + 1, q + 1 + layer(d).buf[q])); break;
    case 2: return '';
    case 3: if (p + 2 <= end) parts.push(String(layer(d).buf.readUInt16BE(p))); break;
    case 4: for (let q = p; q + 4 <= end; q += 4) parts.push(ipv4At(layer(d).buf, q)); break;
    case 5: case 32769: return layer(d).buf.toString('base64', p, end);
    case 6: for (let q = p; q + 16 <= end; q += 16) parts.push(ipv6At(layer(d).buf, q)); break;
    default: return hexOf(layer(d).buf, p, end - p);
  }
  return parts.join(',');
}
defineField({
  name: 'dns.svcb.svcparam', label: 'SvcParam', type: FT.None, proto: PROTO, parent: RECORD, count: (d) => svcParams.of(d).n,
  text: (d, k) => { const v = paramValueText(d, k); return `SvcParam: ${svcKeyName(paramKey(d, k))}${paramKey(d, k) === 2 ? '' : '=' + v}`; },
  range: (d, k, o) => { const ps = svcParams.of(d); return o.set(layer(d).buf, ps.off[k], ps.end[k] - ps.off[k]); },
});
defineField({
  name: 'dns.svcb.svcparam.key', valueBits: 16, label: 'SvcParamKey', type: FT.UInt, proto: PROTO, parent: 'dns.svcb.svcparam', count: (d) => svcParams.of(d).n,
  num: paramKey, display: (d, k) => `${svcKeyName(paramKey(d, k))} (${paramKey(d, k)})`,
  range: (d, k, o) => o.set(layer(d).buf, svcParams.of(d).off[k], 2),
});
defineField({
  name: 'dns.svcb.svcparam.value.length', valueBits: 16, label: 'SvcParamValue length', type: FT.UInt, proto: PROTO, parent: 'dns.svcb.svcparam',
  count: (d) => svcParams.of(d).n, num: (d, k) => layer(d).buf.readUInt16BE(svcParams.of(d).off[k] + 2),
  range: (d, k, o) => o.set(layer(d).buf, svcParams.of(d).off[k] + 2, 2),
});

/**
 * The items inside SvcParam values of one key (each ALPN, each hint address), over the frame:
 * `item(d, q, end)` says how long the item at q is, 0 when none fits.
 */
function paramItems(key: number, item: (d: Dissection, q: number, end: number) => number): { count(d: Dissection): number; at(d: Dissection, i: number, o: Span): boolean } {
  const walk = (d: Dissection, want: number, o: Span | null): number => {
    const ps = svcParams.of(d);
    let n = 0;
    for (let k = 0; k < ps.n; k++) {
      if (layer(d).buf.readUInt16BE(ps.off[k]) !== key) continue;
      for (let q = ps.off[k] + 4, len = item(d, q, ps.end[k]); len > 0; q += len, len = item(d, q, ps.end[k])) {
        if (n++ === want && o !== null) { o.set(layer(d).buf, q, len); return n; }
      }
    }
    return n;
  };
  return { count: (d) => (dnsLayerOf(d) === null ? 0 : walk(d, -1, null)), at: (d, i, o) => walk(d, i, o) > i && o.off >= 0 };
}
const fixedItem = (size: number) => (_d: Dissection, q: number, end: number): number => (q + size <= end ? size : 0);
const alpnItems = paramItems(1, (d, q, end) => (q < end && q + 1 + layer(d).buf[q] <= end ? 1 + layer(d).buf[q] : 0));
const itemSpan = new Span();
defineField({
  name: 'dns.svcb.svcparam.alpn.length', valueBits: 8, label: 'ALPN length', type: FT.UInt, proto: PROTO, parent: 'dns.svcb.svcparam', count: alpnItems.count,
  num: (d, i) => (alpnItems.at(d, i, itemSpan) ? layer(d).buf[itemSpan.off] : 0), range: (d, i, o) => alpnItems.at(d, i, itemSpan) && o.set(layer(d).buf, itemSpan.off, 1),
});
defineField({
  name: 'dns.svcb.svcparam.alpn', label: 'ALPN', type: FT.String, proto: PROTO, parent: 'dns.svcb.svcparam', count: alpnItems.count,
  bytes: (d, i, o) => alpnItems.at(d, i, itemSpan) && o.set(layer(d).buf, itemSpan.off + 1, itemSpan.len - 1),
});
const mandatoryItems = paramItems(0, fixedItem(2));
defineField({
  name: 'dns.svcb.svcparam.mandatory.key', valueBits: 16, label: 'Mandatory key', type: FT.UInt, proto: PROTO, parent: 'dns.svcb.svcparam', count: mandatoryItems.count,
  num: (d, i) => (mandatoryItems.at(d, i, itemSpan) ? layer(d).buf.readUInt16BE(itemSpan.off) : 0),
  display: (d, i) => { const v = mandatoryItems.at(d, i, itemSpan) ? layer(d).buf.readUInt16BE(itemSpan.off) : 0; return `${svcKeyName(v)} (${v})`; },
  range: (d, i, o) => mandatoryItems.at(d, i, itemSpan) && o.set(layer(d).buf, itemSpan.off, 2),
});
const portItems = paramItems(3, (_d, q, end) => (q + 2 <= end && q + 2 === end ? 2 : 0));
defineField({
  name: 'dns.svcb.svcparam.port', valueBits: 16, label: 'Port', type: FT.UInt, proto: PROTO, parent: 'dns.svcb.svcparam', count: portItems.count,
  num: (d, i) => (portItems.at(d, i, itemSpan) ? layer(d).buf.readUInt16BE(itemSpan.off) : 0), range: (d, i, o) => portItems.at(d, i, itemSpan) && o.set(layer(d).buf, itemSpan.off, 2),
});
const v4Hints = paramItems(4, fixedItem(4));
defineField({
  name: 'dns.svcb.svcparam.ipv4hint.ip', label: 'IP', type: FT.IPv4, proto: PROTO, parent: 'dns.svcb.svcparam', count: v4Hints.count,
  num: (d, i) => (v4Hints.at(d, i, itemSpan) ? layer(d).buf.readUInt32BE(itemSpan.off) : 0), range: (d, i, o) => v4Hints.at(d, i, itemSpan) && o.set(layer(d).buf, itemSpan.off, 4),
});
const v6Hints = paramItems(6, fixedItem(16));
defineField({
  name: 'dns.svcb.svcparam.ipv6hint.ip', label: 'IP', type: FT.IPv6, proto: PROTO, parent: 'dns.svcb.svcparam', count: v6Hints.count,
  bytes: (d, i, o) => v6Hints.at(d, i, itemSpan) && o.set(layer(d).buf, itemSpan.off, 16),
});
defineField({
  name: 'dns.svcb.svcparam.echconfig', label: 'ECHConfig', type: FT.Bytes, proto: PROTO, parent: 'dns.svcb.svcparam',
  count: (d) => { const ps = svcParams.of(d); let n = 0; for (let k = 0; k < ps.n; k++) if (paramKey(d, k) === 5) n++; return dnsLayerOf(d) === null ? 0 : n; },
  bytes: (d, i, o) => { const ps = svcParams.of(d); for (let k = 0; k < ps.n; k++) if (paramKey(d, k) === 5 && i-- === 0) return o.set(layer(d).buf, ps.off[k] + 4, ps.end[k] - ps.off[k] - 4); return false; },
  display: (d, i) => { const ps = svcParams.of(d); for (let k = 0; k < ps.n; k++) if (paramKey(d, k) === 5 && i-- === 0) return layer(d).buf.toString('base64', ps.off[k] + 4, ps.end[k]); return ''; },
});

// Types tshark 4.0 has no dissector for (URI, and any it does not know) get its expert note and
// the data as bytes; for the types it dissects and tcpwatch does not yet, the tree lists less.
const DISSECTED_BY_TSHARK = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 33, 35, 36, 37,
  38, 39, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 55, 59, 60, 61, 62, 64, 65, 99, 249, 250, 257, 32769, 65281, 65282,
]);
const undecoded = new Selection((d, l, r) => hasData(d, l, r) && !DISSECTED_BY_TSHARK.has(recordType(d, l, r)));
defineField({
  name: 'dns.undecoded.type', label: 'Undecoded option', type: FT.None, proto: PROTO, parent: RECORD, count: (d) => undecoded.count(d),
  expert: { severity: 'Note', group: 'Undecoded' }, parentOf: (d, i) => recordIndexOf(d, undecoded.at(d, i)),
  text: (d, i) => `Dissector for DNS Type (${recordType(d, layer(d), undecoded.at(d, i))}) code not implemented, Contact Wireshark developers if you want this supported`,
});
dataField(0, { name: 'dns.data', label: 'Data', type: FT.Bytes, sel: undecoded,
  bytes: (d, i, o) => { const l = layer(d); const r = undecoded.at(d, i); return o.set(layer(d).buf, rdataOff(l, r), rdataLen(d, l, r)); } });
/** Which dns.resource_record occurrence record r is. */
function recordIndexOf(d: Dissection, r: number): number {
  for (let i = 0; i < records.count(d); i++) if (records.at(d, i) === r) return i;
  return -1;
}

// ---- EDNS(0) options (RFC 6891 §6.1.2): code, length, data, inside OPT's data ----

const optWithData = new Selection((d, l, r) => hasData(d, l, r) && recordType(d, l, r) === T_OPT);
/** Where the k-th option of the frame starts, in `optionAt`. */
const optionAt = new Int32Array(2);
function option(d: Dissection, k: number, code = -1): boolean {
  const l = layer(d);
  for (let i = 0; i < optWithData.count(d); i++) {
    const r = optWithData.at(d, i);
    const end = rdataOff(l, r) + rdataLen(d, l, r);
    for (let p = rdataOff(l, r); p + 4 <= end; p += 4 + layer(d).buf.readUInt16BE(p + 2)) {
      if (code >= 0 && layer(d).buf.readUInt16BE(p) !== code) continue;
      if (k-- === 0) { optionAt[0] = p; optionAt[1] = Math.min(end, p + 4 + layer(d).buf.readUInt16BE(p + 2)); return true; }
    }
  }
  return false;
}
function optionCount(d: Dissection, code = -1): number {
  if (dnsLayerOf(d) === null) return 0;
  let n = 0;
  while (option(d, n, code)) n++;
  return n;
}
const optionName = (c: number): string => OPTION_NAMES[c] ?? `Unknown (${c})`;
defineField({
  name: 'dns.opt', label: 'Option', type: FT.None, proto: PROTO, parent: RECORD, count: (d) => optionCount(d),
  text: (d, k) => (option(d, k) ? `Option: ${optionName(layer(d).buf.readUInt16BE(optionAt[0]))}` : 'Option'),
  range: (d, k, o) => option(d, k) && o.set(layer(d).buf, optionAt[0], optionAt[1] - optionAt[0]),
});
defineField({
  name: 'dns.opt.code', valueBits: 16, label: 'Option Code', type: FT.UInt, proto: PROTO, parent: 'dns.opt', count: (d) => optionCount(d),
  num: (d, k) => (option(d, k) ? layer(d).buf.readUInt16BE(optionAt[0]) : 0), valueNames: OPTION_NAMES,
  display: (d, k) => { const c = option(d, k) ? layer(d).buf.readUInt16BE(optionAt[0]) : 0; return OPTION_NAMES[c] !== undefined ? `${OPTION_NAMES[c]} (${c})` : `Unknown (${c})`; },
  range: (d, k, o) => option(d, k) && o.set(layer(d).buf, optionAt[0], 2),
});
defineField({
  name: 'dns.opt.len', valueBits: 16, label: 'Option Length', type: FT.UInt, proto: PROTO, parent: 'dns.opt', count: (d) => optionCount(d),
  num: (d, k) => (option(d, k) ? layer(d).buf.readUInt16BE(optionAt[0] + 2) : 0), range: (d, k, o) => option(d, k) && o.set(layer(d).buf, optionAt[0] + 2, 2),
});
defineField({
  name: 'dns.opt.data', label: 'Option Data', type: FT.Bytes, proto: PROTO, parent: 'dns.opt', count: (d) => optionCount(d),
  bytes: (d, k, o) => option(d, k) && o.set(layer(d).buf, optionAt[0] + 4, optionAt[1] - optionAt[0] - 4),
  text: (d, k) => (option(d, k) && optionAt[1] - optionAt[0] > 4 ? hexOf(layer(d).buf, optionAt[0] + 4, optionAt[1] - optionAt[0] - 4) : MISSING),
});
/**
 * A field read from the data of options with one code: `at` and `len(dataLen)` place it in the data.
 * It occurs for each such option whose data reaches `at + need` (Wireshark shows a server cookie
 * that is not there as `<MISSING>`, so that one needs nothing).
 */
function optionDataField(code: number, def: Omit<FieldDef, 'count' | 'proto' | 'parent' | 'range'> & { at: number; need: number; len: (dataLen: number) => number }): void {
  const { at, need, len, ...rest } = def;
  const fits = (): boolean => optionAt[1] - optionAt[0] - 4 >= at + need;
  defineField({
    ...rest, proto: PROTO, parent: 'dns.opt',
    count: (d) => { if (dnsLayerOf(d) === null) return 0; let n = 0; for (let k = 0; option(d, k, code); k++) if (fits()) n++; return n; },
    range: (d, k, o) => option(d, k, code) && o.set(layer(d).buf, optionAt[0] + 4 + at, Math.max(0, len(optionAt[1] - optionAt[0] - 4))),
  });
}
// RFC 7873 §4: an 8-byte client cookie, then the server's (8 to 32 bytes) in a response.
optionDataField(10, { name: 'dns.opt.cookie.client', label: 'Client Cookie', type: FT.Bytes, at: 0, need: 1, len: (n) => Math.min(n, 8),
  bytes: (d, k, o) => option(d, k, 10) && o.set(layer(d).buf, optionAt[0] + 4, Math.min(8, optionAt[1] - optionAt[0] - 4)) });
optionDataField(10, { name: 'dns.opt.cookie.server', label: 'Server Cookie', type: FT.Bytes, at: 8, need: -8, len: (n) => Math.max(0, n - 8),
  bytes: (d, k, o) => option(d, k, 10) && o.set(layer(d).buf, optionAt[0] + 12, Math.max(0, optionAt[1] - optionAt[0] - 12)),
  text: (d, k) => (option(d, k, 10) && optionAt[1] - optionAt[0] > 12 ? hexOf(layer(d).buf, optionAt[0] + 12, optionAt[1] - optionAt[0] - 12) : MISSING) });
// RFC 7830: padding.
optionDataField(12, { name: 'dns.opt.padding', label: 'Padding', type: FT.Bytes, at: 0, need: 0, len: (n) => n,
  bytes: (d, k, o) => option(d, k, 12) && o.set(layer(d).buf, optionAt[0] + 4, optionAt[1] - optionAt[0] - 4) });
// RFC 7871 §6: client subnet: family(2) source prefix(1) scope prefix(1) address.
optionDataField(8, { name: 'dns.opt.client.family', valueBits: 16, label: 'Family', type: FT.UInt, valueNames: { 1: 'IPv4', 2: 'IPv6' }, at: 0, need: 2, len: () => 2,
  num: (d, k) => (option(d, k, 8) ? layer(d).buf.readUInt16BE(optionAt[0] + 4) : 0) });
optionDataField(8, { name: 'dns.opt.client.netmask', valueBits: 8, label: 'Source Netmask', type: FT.UInt, at: 2, need: 1, len: () => 1,
  num: (d, k) => (option(d, k, 8) ? layer(d).buf[optionAt[0] + 6] : 0) });
optionDataField(8, { name: 'dns.opt.client.scope', valueBits: 8, label: 'Scope Netmask', type: FT.UInt, at: 3, need: 1, len: () => 1,
  num: (d, k) => (option(d, k, 8) ? layer(d).buf[optionAt[0] + 7] : 0) });

// RFC 7871 §6: the address, cut to the source prefix's bytes; shown padded to a whole address.
const ecsAddress = (family: number, bytes: number) => (d: Dissection, k: number): boolean =>
  option(d, k, 8) && optionAt[1] - optionAt[0] >= 8 && layer(d).buf.readUInt16BE(optionAt[0] + 4) === family && optionAt[1] - optionAt[0] - 8 <= bytes;
function ecsField(name: string, family: number, bytes: number, type: FT): void {
  const fits = ecsAddress(family, bytes);
  const nth = (d: Dissection, i: number): boolean => { for (let k = 0; option(d, k, 8); k++) if (fits(d, k) && i-- === 0) return option(d, k, 8); return false; };
  const padded = (d: Dissection): Buffer => { const b = Buffer.alloc(bytes); layer(d).buf.copy(b, 0, optionAt[0] + 8, optionAt[1]); return b; };
  defineField({
    name, label: 'Client Subnet', type, proto: PROTO, parent: 'dns.opt',
    count: (d) => { if (dnsLayerOf(d) === null) return 0; let n = 0; for (let k = 0; option(d, k, 8); k++) if (fits(d, k)) n++; return n; },
    num: type === FT.IPv4 ? (d, i) => (nth(d, i) ? padded(d).readUInt32BE(0) : 0) : undefined,
    bytes: type === FT.IPv6 ? (d, i, o) => nth(d, i) && o.set(padded(d), 0, 16) : undefined,
    range: (d, i, o) => nth(d, i) && o.set(layer(d).buf, optionAt[0] + 8, optionAt[1] - optionAt[0] - 8),
  });
}
ecsField('dns.opt.client.addr4', 1, 4, FT.IPv4);
ecsField('dns.opt.client.addr6', 2, 16, FT.IPv6);

// RFC 6975: the algorithms a resolver understands, one byte each.
const DNSSEC_ALGORITHMS: Readonly<Record<number, string>> = {
  1: 'RSA/MD5', 2: 'Diffie-Hellman', 3: 'DSA/SHA1', 5: 'RSA/SHA1', 6: 'DSA + NSEC3/SHA1', 7: 'RSA/SHA1 + NSEC3/SHA1',
  8: 'RSA/SHA-256', 10: 'RSA/SHA-512', 12: 'GOST R 34.10-2001', 13: 'ECDSA Curve P-256 with SHA-256', 14: 'ECDSA Curve P-384 with SHA-384',
  15: 'Ed25519', 16: 'Ed448', 252: 'Indirect key', 253: 'Private, domain name', 254: 'Private, OID',
};
const DS_DIGESTS: Readonly<Record<number, string>> = { 0: 'Reserved digest', 1: 'SHA-1', 2: 'SHA-256', 3: 'GOST R 34.11-94', 4: 'SHA-384' };
const NSEC3_HASHES: Readonly<Record<number, string>> = { 1: 'SHA-1' };
for (const [name, label, code, names] of [['dns.opt.dau', 'DAU', 5, DNSSEC_ALGORITHMS], ['dns.opt.dhu', 'DHU', 6, DS_DIGESTS], ['dns.opt.n3u', 'N3U', 7, NSEC3_HASHES]] as const) {
  const at = (d: Dissection, i: number): number => { for (let k = 0; option(d, k, code); k++) { const n = optionAt[1] - optionAt[0] - 4; if (i < n) return optionAt[0] + 4 + i; i -= n; } return -1; };
  defineField({
    name, valueBits: 8, label, type: FT.UInt, proto: PROTO, parent: 'dns.opt',
    count: (d) => { if (dnsLayerOf(d) === null) return 0; let n = 0; for (let k = 0; option(d, k, code); k++) n += optionAt[1] - optionAt[0] - 4; return n; },
    num: (d, i) => layer(d).buf[at(d, i)], display: (d, i) => { const v = layer(d).buf[at(d, i)]; return `${names[v] ?? `Unknown (${v})`} (${v})`; },
    range: (d, i, o) => o.set(layer(d).buf, at(d, i), 1),
  });
}
// RFC 7828: the idle timeout, in units of 100 ms, when the option carries one.
optionDataField(11, { name: 'dns.opt.edns_tcp_keepalive.timeout', valueBits: 16, label: 'Timeout', type: FT.UInt, at: 0, need: 2, len: () => 2,
  num: (d, k) => { for (let j = 0; option(d, j, 11); j++) if (optionAt[1] - optionAt[0] - 4 >= 2 && k-- === 0) return layer(d).buf.readUInt16BE(optionAt[0] + 4); return 0; } });

// RRSIG (RFC 4034 §3.1): type covered, algorithm, labels, original TTL, expiration, inception, key tag, signer, signature.
const rrsig = new Selection((d, l, r) => ofType(46)(d, l, r) && rdataLen(d, l, r) >= 18);
const rrsigAt = (d: Dissection, i: number, k: number): number => rdataOff(layer(d), rrsig.at(d, i)) + k;
const utcText = (seconds: number): string => absoluteTimeText(seconds);
dataField(46, { name: 'dns.rrsig.type_covered', valueBits: 16, label: 'Type Covered', type: FT.UInt, sel: rrsig, width: () => 2,
  num: (d, i) => layer(d).buf.readUInt16BE(rrsigAt(d, i, 0)), display: (d, i) => typeDisplay(layer(d).buf.readUInt16BE(rrsigAt(d, i, 0))) });
dataField(46, { name: 'dns.rrsig.algorithm', valueBits: 8, label: 'Algorithm', type: FT.UInt, sel: rrsig, at: () => 2, width: () => 1,
  num: (d, i) => layer(d).buf[rrsigAt(d, i, 2)], display: (d, i) => { const v = layer(d).buf[rrsigAt(d, i, 2)]; return `${DNSSEC_ALGORITHMS[v] ?? `Unknown (${v})`} (${v})`; } });
dataField(46, { name: 'dns.rrsig.labels', valueBits: 8, label: 'Labels', type: FT.UInt, sel: rrsig, at: () => 3, width: () => 1, num: (d, i) => layer(d).buf[rrsigAt(d, i, 3)] });
dataField(46, { name: 'dns.rrsig.original_ttl', valueBits: 32, label: 'Original TTL', type: FT.UInt, sel: rrsig, at: () => 4, width: () => 4,
  num: (d, i) => layer(d).buf.readUInt32BE(rrsigAt(d, i, 4)), display: (d, i) => `${layer(d).buf.readUInt32BE(rrsigAt(d, i, 4))} (${secondsText(layer(d).buf.readUInt32BE(rrsigAt(d, i, 4)))})` });
for (const [name, label, k] of [['dns.rrsig.signature_expiration', 'Signature Expiration', 8], ['dns.rrsig.signature_inception', 'Signature Inception', 12]] as const) {
  dataField(46, { name, label, type: FT.AbsTime, sel: rrsig, at: () => k, width: () => 4,
    num: (d, i) => layer(d).buf.readUInt32BE(rrsigAt(d, i, k)), text: (d, i) => utcText(layer(d).buf.readUInt32BE(rrsigAt(d, i, k))) });
}
dataField(46, { name: 'dns.rrsig.key_tag', valueBits: 16, label: 'Key Tag', type: FT.UInt, sel: rrsig, at: () => 16, width: () => 2, num: (d, i) => layer(d).buf.readUInt16BE(rrsigAt(d, i, 16)) });
const signer = (d: Dissection, l: DnsLayer, r: number): number => nameBytes(d, l, r, rdataOff(l, r) + 18);
dataField(46, { name: 'dns.rrsig.signers_name', label: "Signer's name", type: FT.String, sel: rrsig, at: () => 18, width: signer,
  text: (d, i) => { const l = layer(d); const r = rrsig.at(d, i); return dataName(d, l, r, rdataOff(l, r) + 18); } });
dataField(46, { name: 'dns.rrsig.signature', label: 'Signature', type: FT.Bytes, sel: rrsig,
  at: (d, l, r) => 18 + signer(d, l, r), width: (d, l, r) => Math.max(0, rdataLen(d, l, r) - 18 - signer(d, l, r)),
  bytes: (d, i, o) => { const l = layer(d); const r = rrsig.at(d, i); const p = rdataOff(l, r) + 18 + signer(d, l, r); return o.set(layer(d).buf, p, Math.max(0, rdataOff(l, r) + rdataLen(d, l, r) - p)); },
  // The tree shows long bytes as tshark does: the first 36 and an ellipsis.
  display: (d, i) => {
    const l = layer(d); const r = rrsig.at(d, i); const p = rdataOff(l, r) + 18 + signer(d, l, r); const n = Math.max(0, rdataOff(l, r) + rdataLen(d, l, r) - p);
    return n > SHOWN_BYTES ? hexOf(layer(d).buf, p, SHOWN_BYTES) + '\u2026' : hexOf(layer(d).buf, p, n);
  } });
/** Bytes tshark's tree shows of a long bytes value before its ellipsis. */
const SHOWN_BYTES = 36;

// ---- request/response matching (matching.ts) ----

type Found = NonNullable<ReturnType<typeof dnsMatchOf>>;
function countMatches(d: Dissection, has: (m: Found, k: number) => boolean): number {
  const found = dnsMatchOf(d), l = dnsLayerOf(d);
  if (found === null || l === null) return 0;
  let n = 0;
  for (let k = 0; k < l.msgCount; k++) if (has(found, k)) n++;
  return n;
}
/** The message of the i-th match (its dns.id occurrence: every message here has its header). */
function nthMatch(d: Dissection, i: number, has: (m: Found, k: number) => boolean): number {
  const found = dnsMatchOf(d)!, l = layer(d);
  for (let k = 0; k < l.msgCount; k++) if (has(found, k) && i-- === 0) return k;
  return -1;
}

/** A per-message matching result as a field: occurrences are the frame's messages that have one. */
function matchField(def: Omit<FieldDef, 'count' | 'proto' | 'num' | 'display'> & { value: (m: NonNullable<ReturnType<typeof dnsMatchOf>>, k: number) => number; shown?: (v: number) => string; has?: (m: NonNullable<ReturnType<typeof dnsMatchOf>>, k: number) => boolean }): void {
  const { value, shown, has = (m, k) => value(m, k) !== 0, ...rest } = def;
  const nth = (d: Dissection, i: number): number => {
    const found = dnsMatchOf(d)!;
    const l = layer(d);
    for (let k = 0; k < l.msgCount; k++) if (has(found, k) && i-- === 0) return k;
    return -1;
  };
  defineField({
    ...rest, proto: PROTO, generated: true,
    count: (d) => {
      const found = dnsMatchOf(d);
      const l = dnsLayerOf(d);
      if (found === null || l === null) return 0;
      let n = 0;
      for (let k = 0; k < l.msgCount; k++) if (has(found, k)) n++;
      return n;
    },
    num: (d, i) => value(dnsMatchOf(d)!, nth(d, i)),
    display: shown !== undefined ? (d, i) => shown(value(dnsMatchOf(d)!, nth(d, i))) : undefined,
  });
}
// Wireshark's expert items, under the transaction ID.
defineField({
  name: 'dns.retransmit_request', label: 'DNS query retransmission', type: FT.None, proto: PROTO, parent: 'dns.id',
  expert: { severity: 'Warning', group: 'Protocol' }, generated: true,
  count: (d) => countMatches(d, (m, k) => m.retransmitRequestIn[k] !== 0),
  text: (d, i) => `DNS query retransmission. Original request in frame ${dnsMatchOf(d)!.retransmitRequestIn[nthMatch(d, i, (m, k) => m.retransmitRequestIn[k] !== 0)]}`,
  parentOf: (d, i) => nthMatch(d, i, (m, k) => m.retransmitRequestIn[k] !== 0),
});
defineField({
  name: 'dns.retransmit_response', label: 'DNS response retransmission', type: FT.None, proto: PROTO, parent: 'dns.id',
  expert: { severity: 'Warning', group: 'Protocol' }, generated: true,
  count: (d) => countMatches(d, (m, k) => m.retransmitResponseIn[k] !== 0),
  text: (d, i) => `DNS response retransmission. Original response in frame ${dnsMatchOf(d)!.retransmitResponseIn[nthMatch(d, i, (m, k) => m.retransmitResponseIn[k] !== 0)]}`,
  parentOf: (d, i) => nthMatch(d, i, (m, k) => m.retransmitResponseIn[k] !== 0),
});
matchField({ name: 'dns.response_to', label: 'Request In', type: FT.UInt, ftype: 'FT_FRAMENUM', value: (m, k) => m.responseTo[k] });
// What only tshark's second pass knows: the query's response (-2).
defineForwardRef({ name: 'dns.response_in', label: 'Response In', proto: PROTO, backward: 'dns.response_to' });
matchField({ name: 'dns.time', label: 'Time', type: FT.RelTime, value: (m, k) => m.time[k], has: (m, k) => m.responseTo[k] !== 0,
  shown: (v) => `${v.toFixed(9)} seconds` });
matchField({ name: 'dns.retransmit_request_in', label: 'Retransmitted request. Original request in', type: FT.UInt, ftype: 'FT_FRAMENUM', value: (m, k) => m.retransmitRequestIn[k] });
matchField({ name: 'dns.retransmit_response_in', label: 'Retransmitted response. Original response in', type: FT.UInt, ftype: 'FT_FRAMENUM', value: (m, k) => m.retransmitResponseIn[k] });
matchField({ name: 'dns.retransmission', label: 'Retransmission', type: FT.Bool, value: (m, k) => (m.retransmitRequestIn[k] !== 0 || m.retransmitResponseIn[k] !== 0 ? 1 : 0),
  shown: () => 'True' });
matchField({ name: 'dns.unsolicited', label: 'Unsolicited', type: FT.Bool, value: (m, k) => m.unsolicited[k], shown: () => 'True' });
