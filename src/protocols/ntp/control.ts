// NTP control messages (mode 6: RFC 1305 Appendix B, as ntpq sends them and ntpd answers), as tshark
// 4.0 shows them (packet-ntp.c, dissect_ntp_ctrl): the second flags byte (response, error, more,
// opcode), sequence, the status word read as the opcode and association say (system, peer, clock
// or error status), association ID, offset and count, then the data: a read-status response to
// association 0 lists each association's ID and peer status word; the variables of read/write
// (clock) variables are ntpd's "name=value," text, which tshark hands to its generic tokenizer
// (epan/tvbparse.c) and shows as that tokenizer's element tree, nameless text items nested as the
// grammar matched them. The tree is worked out here the same way, on first use per frame, in one
// pass bounded by the data's length. The Info column stays "NTP Version 2, control", as tshark's.
// The authenticator after a request's data is not shown yet.

import { Dissection } from '../../decode/dissection';
import { defineField, FT, FieldDef } from '../../fields/registry';
import { asciiText } from '../../fields/format';
import { lineText } from '../text-lines';
import { CONTROL_HEADER_LEN, LEAP_NAMES, MODE_CONTROL, MODE_MASK, at, flagsByte, ntp } from './ntp';

// RFC 1305 Appendix B: the header after the first flags byte
const FLAGS2 = 1;
const SEQUENCE = 2;
const STATUS = 4;
const ASSOCIATION_ID = 6;
const OFFSET = 8;
const COUNT = 10;
const RESPONSE_BIT = 0x80;
const ERROR_BIT = 0x40;
const MORE_BIT = 0x20;
const OPCODE_MASK = 0x1f;
/** A read-status item: association ID and its status word. */
const ITEM_LEN = 4;

const enum Opcode {
  ReadStatus = 1, ReadVariables = 2, WriteVariables = 3, ReadClock = 4, WriteClock = 5, AsyncMessage = 7,
  Configure = 8, SaveConfig = 9, ReadMru = 10, ReadOrderedList = 11, RequestNonce = 12,
}
/** packet-ntp.c's opcode names. */
const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'reserved', 1: 'read status', 2: 'read variables', 3: 'write variables', 4: 'read clock variables',
  5: 'write clock variables', 6: 'set trap address/port', 7: 'asynchronous message', 8: 'runtime configuration',
  9: 'save config to file', 10: 'retrieve MRU (mrulist)', 11: 'retrieve ordered list', 12: 'request a client nonce',
  31: 'unset trap address/port',
};
const RESPONSE_NAMES: Readonly<Record<number, string>> = { 0: 'Request', 1: 'Response' };
const CLOCK_SOURCE_NAMES: Readonly<Record<number, string>> = {
  0: 'unspecified or unknown', 1: 'Calibrated atomic clock (e.g. HP 5061)', 2: 'VLF (band 4) or LF (band 5) radio (e.g. OMEGA, WWVB)',
  3: 'HF (band 7) radio (e.g. CHU, MSF, WWV/H)', 4: 'UHF (band 9) satellite (e.g. GOES, GPS)', 5: 'local net (e.g. DCN, TSP, DTS)',
  6: 'UDP/NTP', 7: 'UDP/TIME', 8: 'eyeball-and-wristwatch', 9: 'telephone modem (e.g. NIST)',
};
const SYSTEM_EVENT_NAMES: Readonly<Record<number, string>> = {
  0: 'unspecified', 1: 'frequency correction (drift) file not available', 2: 'frequency correction started (frequency stepped)',
  3: 'spike detected and ignored, starting stepout timer', 4: 'frequency training started', 5: 'clock synchronized',
  6: 'system restart', 7: 'panic stop (required step greater than panic threshold)', 8: 'no system peer',
  9: 'leap second insertion/deletion armed', 10: 'leap second disarmed', 11: 'leap second inserted or deleted',
  12: 'clock stepped (stepout timer expired)', 13: 'kernel loop discipline status changed', 14: 'leapseconds table loaded from file',
  15: 'leapseconds table outdated, updated file needed',
};
const PEER_SELECTION_NAMES: Readonly<Record<number, string>> = {
  0: 'rejected', 1: 'passed sanity checks (tests 1 through 8 in Section 3.4.3)',
  2: 'passed correctness checks (intersection algorithm in Section 4.2.1)', 3: 'passed candidate checks (if limit check implemented)',
  4: 'passed outlier checks (clustering algorithm in Section 4.2.2)',
  5: 'current synchronization source; max distance exceeded (if limit check implemented)',
  6: 'current synchronization source; max distance okay', 7: 'reserved',
};
const PEER_EVENT_NAMES: Readonly<Record<number, string>> = {
  0: 'unspecified', 1: 'association mobilized', 2: 'association demobilized', 3: 'peer unreachable (peer.reach was nonzero now zero)',
  4: 'peer reachable (peer.reach was zero now nonzero)', 5: 'association restarted or timed out', 6: 'no server found (ntpdate mode)',
  7: 'rate exceeded (kiss code RATE)', 8: 'access denied (kiss code DENY)', 9: 'leap armed from server LI code', 10: 'become system peer',
  11: 'reference clock event (see clock status word)', 12: 'authentication failure', 13: 'popcorn spike suppressor',
  14: 'entering interleave mode', 15: 'interleave error (recovered)',
};
const CLOCK_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'clock operating within nominals', 1: 'reply timeout', 2: 'bad reply format', 3: 'hardware or software fault',
  4: 'propagation failure', 5: 'bad date format or value', 6: 'bad time format or value',
};
const ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'unspecified', 1: 'authentication failure', 2: 'invalid message length or format', 3: 'invalid opcode',
  4: 'unknown association identifier', 5: 'unknown variable name', 6: 'invalid variable value', 7: 'administratively prohibited',
};
/** A value a value-string table lacks, as Wireshark's trees name it. */
const named = (names: Readonly<Record<number, string>>, v: number): string => names[v] ?? 'Unknown';

const control = (d: Dissection): boolean =>
  d.hasLayer(ntp.id) && (flagsByte(d) & MODE_MASK) === MODE_CONTROL && ntp.layer(d).len >= CONTROL_HEADER_LEN;
const present = (d: Dissection): number => (control(d) ? 1 : 0);
const u8 = (d: Dissection, off: number): number => d.buf[at(d) + off];
const u16 = (d: Dissection, off: number): number => d.buf.readUInt16BE(at(d) + off);
const flags2 = (d: Dissection): number => u8(d, FLAGS2);
const opcode = (d: Dissection): number => flags2(d) & OPCODE_MASK;
const associationId = (d: Dissection): number => u16(d, ASSOCIATION_ID);
/** The data's length, when the datagram holds it all (tshark stops at the Data item otherwise). */
const dataLen = (d: Dissection): number => {
  if (!control(d)) return 0;
  const count = u16(d, COUNT);
  return count <= ntp.layer(d).len - CONTROL_HEADER_LEN ? count : 0;
};

// ---- the status word: what it means depends on who sends it, the opcode and the association ----

const enum StatusKind { Plain, System, Peer, Clock, Error }
function headerStatus(d: Dissection): StatusKind {
  const f = flags2(d);
  // only a response's status word is read further (packet-ntp.c)
  if ((f & RESPONSE_BIT) === 0) return StatusKind.Plain;
  if ((f & ERROR_BIT) !== 0) return StatusKind.Error;
  switch (f & OPCODE_MASK) {
    case Opcode.ReadStatus: case Opcode.ReadVariables: case Opcode.WriteVariables: case Opcode.AsyncMessage:
      return associationId(d) !== 0 ? StatusKind.Peer : StatusKind.System;
    case Opcode.ReadClock: case Opcode.WriteClock:
      return StatusKind.Clock;
    default:
      return StatusKind.Plain;
  }
}
/** Read-status data for association 0: each association's ID and peer status word, whoever sends it. */
const items = (d: Dissection): number =>
  (control(d) && opcode(d) === Opcode.ReadStatus && associationId(d) === 0 ? Math.floor(dataLen(d) / ITEM_LEN) : 0);
const itemAt = (i: number): number => CONTROL_HEADER_LEN + i * ITEM_LEN;
const headerPeer = (d: Dissection): number => (control(d) && headerStatus(d) === StatusKind.Peer ? 1 : 0);
/** Where occurrence i of the status word is: the header's, then each item's. */
const statusAt = (i: number): number => (i === 0 ? STATUS : itemAt(i - 1) + 2);
/** Where occurrence i of a peer status word is: the header's when it is one, then each item's. */
const peerStatusAt = (d: Dissection, i: number): number => (headerPeer(d) === 1 ? statusAt(i) : itemAt(i) + 2);
const peerStatusCount = (d: Dissection): number => (control(d) ? headerPeer(d) + items(d) : 0);

/** A status word's kind: the header's as headerStatus says, an item's always a peer's. */
const statusKind = (d: Dissection, i: number): StatusKind => (i === 0 ? headerStatus(d) : StatusKind.Peer);
const PEER_FLAGS: readonly [number, string][] = [
  [0x8000, 'Peer Status'], [0x4000, 'Peer Status'], [0x2000, 'Peer Status'], [0x1000, 'Peer Status'], [0x0800, 'Peer Status broadcast association'],
];
/**
 * The status word's line as proto_tree_add_bitmask writes it: the value, then each named part
 * (value-named integers with their name, set booleans by their label; bare counters not at all).
 */
function statusText(d: Dissection, i: number): string {
  const w = u16(d, statusAt(i));
  let s = `0x${w.toString(16).padStart(4, '0')}`;
  switch (statusKind(d, i)) {
    case StatusKind.System:
      return `${s}, Leap Indicator: ${named(LEAP_NAMES, w >> 14)}, Clock Source: ${named(CLOCK_SOURCE_NAMES, (w >> 8) & 0x3f)}, ` +
        `System Event Code: ${named(SYSTEM_EVENT_NAMES, w & 0xf)}`;
    case StatusKind.Peer:
      for (const [mask, label] of PEER_FLAGS) if ((w & mask) !== 0) s += `, ${label}`;
      return `${s}, Peer Selection: ${named(PEER_SELECTION_NAMES, (w >> 8) & 7)}, Peer Event Code: ${named(PEER_EVENT_NAMES, w & 0xf)}`;
    case StatusKind.Clock:
      return `${s}, Clock Status: ${named(CLOCK_STATUS_NAMES, w >> 8)}`;
    case StatusKind.Error:
      return `${s}, Error Status Word: ${named(ERROR_NAMES, w >> 8)}`;
    default:
      return s;
  }
}

const span = (off: number, len: number) => (d: Dissection, _i: number, o: { set(buf: Buffer, off: number, len: number): boolean }): boolean =>
  o.set(d.buf, at(d) + off, len);

defineField({
  name: 'ntp.ctrl.flags2', label: 'Flags 2', type: FT.Hex, hexDigits: 2, valueBits: 8, proto: 'ntp', count: present, num: flags2,
  display: (d) => {
    const f = flags2(d);
    return `0x${f.toString(16).padStart(2, '0')}, Response bit: ${RESPONSE_NAMES[f >> 7]}, Opcode: ${named(OPCODE_NAMES, f & OPCODE_MASK)}`;
  },
  range: span(FLAGS2, 1),
});
for (const [name, label, mask, names] of [
  ['ntp.ctrl.flags2.r', 'Response bit', RESPONSE_BIT, RESPONSE_NAMES], ['ntp.ctrl.flags2.error', 'Error bit', ERROR_BIT, undefined],
  ['ntp.ctrl.flags2.more', 'More bit', MORE_BIT, undefined], ['ntp.ctrl.flags2.opcode', 'Opcode', OPCODE_MASK, OPCODE_NAMES],
] as const) {
  const shift = Math.log2(mask & -mask);
  defineField({
    name, label, type: FT.UInt, valueBits: 8, proto: 'ntp', count: present, parent: 'ntp.ctrl.flags2', mask, bitWidth: 8, unit: flags2,
    num: (d) => (flags2(d) & mask) >> shift, range: span(FLAGS2, 1),
    ...(names === undefined ? {} : { display: (d: Dissection) => { const v = (flags2(d) & mask) >> shift; return `${named(names, v)} (${v})`; } }),
  });
}
defineField({ name: 'ntp.ctrl.sequence', label: 'Sequence', type: FT.UInt, valueBits: 16, proto: 'ntp', count: present, num: (d) => u16(d, SEQUENCE), range: span(SEQUENCE, 2) });
defineField({
  name: 'ntp.ctrl.status', label: 'Status', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'ntp',
  count: (d) => (control(d) ? 1 + items(d) : 0), num: (d, i) => u16(d, statusAt(i)), display: statusText,
  range: (d, i, o) => o.set(d.buf, at(d) + statusAt(i), 2),
});

/** A bit field of a status word; `at` says where occurrence i's word is. */
function statusBits(name: string, label: string, mask: number, count: (d: Dissection) => number, wordAt: (d: Dissection, i: number) => number,
  shown?: (v: number) => string, type: FT = FT.UInt): FieldDef {
  const shift = Math.log2(mask & -mask);
  const word = (d: Dissection, i: number): number => u16(d, wordAt(d, i));
  return defineField({
    name, label, type, valueBits: type === FT.Bool ? undefined : 16, proto: 'ntp', count, parent: 'ntp.ctrl.status', mask, bitWidth: 16, unit: word,
    num: (d, i) => (word(d, i) & mask) >>> shift, range: (d, i, o) => o.set(d.buf, at(d) + wordAt(d, i), 2),
    ...(shown === undefined ? {} : { display: (d: Dissection, i: number) => shown((word(d, i) & mask) >>> shift) }),
  });
}
const valueAndName = (names: Readonly<Record<number, string>>) => (v: number): string => `${named(names, v)} (${v})`;
const headerKind = (kind: StatusKind) => (d: Dissection): number => (control(d) && headerStatus(d) === kind ? 1 : 0);
const headerWord = (): number => STATUS;
statusBits('ntp.ctrl.err_status', 'Error Status Word', 0xff00, headerKind(StatusKind.Error), headerWord, valueAndName(ERROR_NAMES));
statusBits('ntp.ctrl.sys_status.li', 'Leap Indicator', 0xc000, headerKind(StatusKind.System), headerWord, valueAndName(LEAP_NAMES));
statusBits('ntp.ctrl.sys_status.clksrc', 'Clock Source', 0x3f00, headerKind(StatusKind.System), headerWord, valueAndName(CLOCK_SOURCE_NAMES));
statusBits('ntp.ctrl.sys_status.count', 'System Event Counter', 0x00f0, headerKind(StatusKind.System), headerWord);
statusBits('ntp.ctrl.sys_status.code', 'System Event Code', 0x000f, headerKind(StatusKind.System), headerWord, valueAndName(SYSTEM_EVENT_NAMES));
for (const [name, mask, yes, no] of [
  ['config', 0x8000, 'configured (peer.config)', 'not configured (peer.config)'],
  ['authenable', 0x4000, 'authentication enabled (peer.authenable)', 'authentication disabled (peer.authenable)'],
  ['authentic', 0x2000, 'authentication okay (peer.authentic)', 'authentication not okay (peer.authentic)'],
  ['reach', 0x1000, 'reachability okay (peer.reach != 0)', 'reachability not okay (peer.reach != 0)'],
] as const) {
  statusBits(`ntp.ctrl.peer_status.${name}`, 'Peer Status', mask, peerStatusCount, peerStatusAt, (v) => (v !== 0 ? yes : no), FT.Bool);
}
statusBits('ntp.ctrl.peer_status.bcast', 'Peer Status broadcast association', 0x0800, peerStatusCount, peerStatusAt, undefined, FT.Bool);
statusBits('ntp.ctrl.peer_status.selection', 'Peer Selection', 0x0700, peerStatusCount, peerStatusAt, valueAndName(PEER_SELECTION_NAMES));
statusBits('ntp.ctrl.peer_status.count', 'Peer Event Counter', 0x00f0, peerStatusCount, peerStatusAt);
statusBits('ntp.ctrl.peer_status.code', 'Peer Event Code', 0x000f, peerStatusCount, peerStatusAt, valueAndName(PEER_EVENT_NAMES));
statusBits('ntp.ctrl.clock_status.status', 'Clock Status', 0xff00, headerKind(StatusKind.Clock), headerWord, valueAndName(CLOCK_STATUS_NAMES));
statusBits('ntp.ctrl.clock_status.code', 'Clock Event Code', 0x00ff, headerKind(StatusKind.Clock), headerWord);

defineField({
  name: 'ntp.ctrl.associd', label: 'AssociationID', type: FT.UInt, valueBits: 16, proto: 'ntp', parent: 'ntp.ctrl.item',
  count: (d) => (control(d) ? 1 + items(d) : 0),
  // the header's is the message's own; the others are in the read-status items
  parentOf: (_d, i) => i - 1,
  num: (d, i) => u16(d, i === 0 ? ASSOCIATION_ID : itemAt(i - 1)),
  range: (d, i, o) => o.set(d.buf, at(d) + (i === 0 ? ASSOCIATION_ID : itemAt(i - 1)), 2),
});
defineField({ name: 'ntp.ctrl.offset', label: 'Offset', type: FT.UInt, valueBits: 16, proto: 'ntp', count: present, num: (d) => u16(d, OFFSET), range: span(OFFSET, 2) });
defineField({ name: 'ntp.ctrl.count', label: 'Count', type: FT.UInt, valueBits: 16, proto: 'ntp', count: present, num: (d) => u16(d, COUNT), range: span(COUNT, 2) });
defineField({
  name: 'ntp.ctrl.data', label: 'Data', type: FT.None, proto: 'ntp', count: (d) => (dataLen(d) > 0 ? 1 : 0),
  range: (d, _i, o) => o.set(d.buf, at(d) + CONTROL_HEADER_LEN, dataLen(d)),
});
defineField({
  name: 'ntp.ctrl.item', label: 'Item', type: FT.None, proto: 'ntp', parent: 'ntp.ctrl.data', count: items,
  range: (d, i, o) => o.set(d.buf, at(d) + itemAt(i), ITEM_LEN),
});
/** The opcodes whose data packet-ntp.c shows as one string. */
for (const [name, label, op] of [
  ['ntp.ctrl.trapmsg', 'Trap message', [Opcode.AsyncMessage]], ['ntp.ctrl.configuration', 'Configuration', [Opcode.Configure, Opcode.SaveConfig]],
  ['ntp.ctrl.mru', 'MRU', [Opcode.ReadMru]], ['ntp.ctrl.ordlist', 'Ordered List', [Opcode.ReadOrderedList]], ['ntp.ctrl.nonce', 'Nonce', [Opcode.RequestNonce]],
] as const) {
  defineField({
    name, label, type: FT.String, proto: 'ntp', parent: 'ntp.ctrl.data',
    count: (d) => (dataLen(d) > 0 && (op as readonly number[]).includes(opcode(d)) ? 1 : 0),
    text: (d) => asciiText(d.buf, at(d) + CONTROL_HEADER_LEN, dataLen(d)),
    bytes: (d, _i, o) => o.set(d.buf, at(d) + CONTROL_HEADER_LEN, dataLen(d)),
    range: (d, _i, o) => o.set(d.buf, at(d) + CONTROL_HEADER_LEN, dataLen(d)),
  });
}

// ---- the variables: tvbparse's element tree over ntpd's "name=value," text ----

/**
 * The elements of one frame's variables, in the order the tree shows them (each before what it
 * holds), with the element each stands under (-1: directly under Data).
 */
class VariableElements {
  /** The NTP layer they are of (its serial). */
  serial = -1;
  count = 0;
  readonly off: number[] = [];
  readonly len: number[] = [];
  readonly parent: number[] = [];
  /** Which elements stand directly under Data, and which under another element, in order. */
  readonly top: number[] = [];
  readonly nested: number[] = [];
}
const elements = new VariableElements();

/** The opcodes whose data packet-ntp.c tokenizes (read status of one association reads as read variables). */
const tokenized = (d: Dissection): boolean => {
  if (!control(d)) return false;
  const op = opcode(d);
  return dataLen(d) > 0 && ((op === Opcode.ReadStatus && associationId(d) !== 0) || op === Opcode.ReadVariables ||
    op === Opcode.WriteVariables || op === Opcode.ReadClock || op === Opcode.WriteClock);
};

// packet-ntp.c's character classes: what a variable's name and an unquoted value are made of
const NAME_CHARS = new Uint8Array(256);
for (const c of 'abcdefghijklmnopqrstuvwxyz-_ABCDEFGHIJKLMNOPQRSTUVWXYZ.0123456789') NAME_CHARS[c.charCodeAt(0)] = 1;
const VALUE_CHARS = NAME_CHARS.slice();
VALUE_CHARS[0x20] = 1;
const isBlank = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const EQUALS = 0x3d;

/** Builds the element list of one frame: a small recursive-descent copy of the grammar packet-ntp.c gives tvbparse. */
class Tokenizer {
  buf: Buffer = Buffer.alloc(0);
  end = 0;
  out = elements;

  add(off: number, len: number, parent: number): number {
    const o = this.out;
    o.off.push(off);
    o.len.push(len);
    o.parent.push(parent);
    (parent < 0 ? o.top : o.nested).push(o.count);
    return o.count++;
  }
  /** Removes the elements from index `mark` on (an alternative that failed). */
  cut(mark: number): void {
    const o = this.out;
    while (o.count > mark) {
      o.count--;
      (o.parent.pop()! < 0 ? o.top : o.nested).pop();
      o.off.pop();
      o.len.pop();
    }
  }
  skipBlanks(p: number): number {
    while (p < this.end && isBlank(this.buf[p])) p++;
    return p;
  }
  run(p: number, chars: Uint8Array): number {
    let q = p;
    while (q < this.end && chars[this.buf[q]] === 1) q++;
    return q - p;
  }

  /** One top-level element at p (blanks already skipped): its bytes consumed, or -1. */
  element(p: number): number {
    const mark = this.out.count;
    const one = this.add(p, 0, -1);
    let consumed = this.assignment(p, one);
    if (consumed < 0) {
      this.cut(mark + 1);
      consumed = this.identifier(p, one);
    }
    if (consumed < 0) { this.cut(mark); return -1; }
    this.stretch(one, this.out.count > one + 1 ? one + 1 : -1);
    return consumed;
  }
  /** An element takes the extent of the one it wraps (tvbparse's one-of). */
  stretch(el: number, inner: number): void {
    if (inner < 0) return;
    this.out.off[el] = this.out.off[inner];
    this.out.len[el] = this.out.len[inner];
  }
  /** A sequence's extent: from its first part to the end of its last part that is not empty. */
  sequenceEnd(seq: number, partEnd: number, partOff: number, partLen: number, first: boolean): void {
    const o = this.out;
    if (first) { o.off[seq] = partOff; o.len[seq] = partLen; } else if (partLen > 0) o.len[seq] = partEnd - o.off[seq];
  }

  /** name "=" [value] [up to a comma] */
  assignment(p: number, parent: number): number {
    const seq = this.add(p, 0, parent);
    const start = p;
    const nameLen = this.run(p, NAME_CHARS);
    if (nameLen === 0) return -1;
    this.add(p, nameLen, seq);
    this.sequenceEnd(seq, p + nameLen, p, nameLen, true);
    p = this.skipBlanks(p + nameLen);
    if (p >= this.end || this.buf[p] !== EQUALS) return -1;
    this.add(p, 1, seq);
    this.sequenceEnd(seq, p + 1, p, 1, false);
    p = this.skipBlanks(p + 1);
    const valueSome = this.add(p, 0, seq);
    const valueLen = this.value(p, valueSome);
    p = this.skipBlanks(p + valueLen);
    this.sequenceEnd(seq, this.out.off[valueSome] + this.out.len[valueSome], this.out.off[valueSome], this.out.len[valueSome], false);
    const commaSome = this.add(p, 0, seq);
    const commaLen = this.untilComma(p, commaSome);
    p = this.skipBlanks(p + commaLen);
    this.sequenceEnd(seq, this.out.off[commaSome] + this.out.len[commaSome], this.out.off[commaSome], this.out.len[commaSome], false);
    return p - start;
  }
  /** name [up to a comma] */
  identifier(p: number, parent: number): number {
    const seq = this.add(p, 0, parent);
    const start = p;
    const nameLen = this.run(p, NAME_CHARS);
    if (nameLen === 0) return -1;
    this.add(p, nameLen, seq);
    this.sequenceEnd(seq, p + nameLen, p, nameLen, true);
    p = this.skipBlanks(p + nameLen);
    const commaSome = this.add(p, 0, seq);
    const commaLen = this.untilComma(p, commaSome);
    p = this.skipBlanks(p + commaLen);
    this.sequenceEnd(seq, this.out.off[commaSome] + this.out.len[commaSome], this.out.off[commaSome], this.out.len[commaSome], false);
    return p - start;
  }
  /** At most one value (a "…" or '…' string, or a run of value characters) under `some`: bytes consumed (0: none). */
  value(p: number, some: number): number {
    const mark = this.out.count;
    const choice = this.add(p, 0, some);
    let len = this.quoted(p, QUOTE, choice);
    if (len < 0) { this.cut(mark + 1); len = this.quoted(p, APOSTROPHE, choice); }
    if (len < 0) {
      this.cut(mark + 1);
      const run = this.run(p, VALUE_CHARS);
      if (run > 0) { this.add(p, run, choice); len = run; }
    }
    if (len < 0 || this.out.count === mark + 1) { this.cut(mark); return 0; }
    // the choice takes the unshrunk extent of what it matched, and the optional value the choice's
    this.out.off[choice] = p;
    this.out.len[choice] = len;
    this.out.off[some] = p;
    this.out.len[some] = len;
    return len;
  }
  /**
   * A quoted string under `parent`: the string's element (shrunk to the text between the quotes
   * once matched, as tvbparse_shrink_token_cb does), holding the quote, the text and the quote.
   */
  quoted(p: number, quote: number, parent: number): number {
    if (p >= this.end || this.buf[p] !== quote) return -1;
    const shrunk = this.add(p, 0, parent);
    const seq = this.add(p, 0, shrunk);
    this.add(p, 1, seq);
    let q = p + 1;
    // the text: an escaped quote, or a run of anything but the quote (one of them: tvbparse's grammar)
    let textLen = 0;
    if (q + 1 < this.end && this.buf[q] === BACKSLASH && this.buf[q + 1] === quote) textLen = 2;
    else while (q + textLen < this.end && this.buf[q + textLen] !== quote) textLen++;
    if (textLen > 0) {
      const inner = this.add(q, textLen, seq);
      const choice = this.add(q, textLen, inner);
      this.add(q, textLen, choice);
      q += textLen;
    }
    if (q >= this.end || this.buf[q] !== quote) return -1;
    this.add(q, 1, seq);
    const len = q + 1 - p;
    this.out.off[seq] = p;
    this.out.len[seq] = len;
    this.out.off[shrunk] = p + 1;
    this.out.len[shrunk] = len - 2;
    return len;
  }
  /**
   * At most one "up to the next comma" under `some`: the text before the comma (the comma itself
   * consumed, not shown). tvbparse looks for it at p, then only up to the data's last byte but one.
   */
  untilComma(p: number, some: number): number {
    if (p + 1 > this.end) return 0;
    let q = p;
    while (this.buf[q] !== COMMA) {
      q++;
      if (!(q + 1 < this.end)) return 0;
    }
    this.add(p, q - p, some);
    if (q > p) this.out.len[some] = q - p;
    return q - p + 1;
  }
}
const tokenizer = new Tokenizer();

function variableElements(d: Dissection): VariableElements | null {
  if (!control(d) || !tokenized(d)) return null;
  const o = elements;
  const serial = ntp.layer(d).serial;
  if (o.serial === serial) return o;
  o.serial = serial;
  o.count = 0;
  o.off.length = o.len.length = o.parent.length = o.top.length = o.nested.length = 0;
  tokenizer.buf = d.buf;
  const start = at(d) + CONTROL_HEADER_LEN;
  tokenizer.end = start + dataLen(d);
  // every element consumes at least one byte, so the loop ends within the data
  for (let p = tokenizer.skipBlanks(start); p < tokenizer.end; p = tokenizer.skipBlanks(p)) {
    const consumed = tokenizer.element(p);
    if (consumed <= 0) break;
    p += consumed;
  }
  return o;
}

const elementText = (d: Dissection, k: number): string => {
  const o = variableElements(d)!;
  return lineText(d.buf, o.off[k], o.off[k] + o.len[k]);
};
defineField({
  name: '_text.ntp.ctrl.data.variable', label: 'Variable', type: FT.None, proto: 'ntp', textNode: true, parent: 'ntp.ctrl.data',
  count: (d) => variableElements(d)?.top.length ?? 0,
  nodeKey: (d, i) => variableElements(d)!.top[i],
  heading: (d, i) => elementText(d, variableElements(d)!.top[i]),
  range: (d, i, o) => { const e = variableElements(d)!; const k = e.top[i]; return o.set(d.buf, e.off[k], e.len[k]); },
});
defineField({
  name: '_text.ntp.ctrl.data.token', label: 'Token', type: FT.None, proto: 'ntp', textNode: true,
  count: (d) => variableElements(d)?.nested.length ?? 0,
  nodeKey: (d, i) => variableElements(d)!.nested[i],
  parentKey: (d, i) => { const e = variableElements(d)!; return e.parent[e.nested[i]]; },
  heading: (d, i) => elementText(d, variableElements(d)!.nested[i]),
  range: (d, i, o) => { const e = variableElements(d)!; const k = e.nested[i]; return o.set(d.buf, e.off[k], e.len[k]); },
});
