// ICMP multi-part extensions (RFC 4884) in tshark 4.0's tree: the extension header and its
// checksum, then each object — RFC 5837's Interface Information (what a router says about the
// interface a probe arrived on) and RFC 8335's Interface Identification (what an extended echo
// asks about), others as data. Only the frame's own message has them; the walk over objects
// advances by at least an object header each step and stops at the message's end.

import { Dissection, Proto } from '../../decode/dissection';
import { protocolNamed } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';
import type { IcmpLayer } from './layer';
import * as w from './wire';

const layerOf = (d: Dissection): IcmpLayer => protocolNamed('icmp')!.layer(d) as IcmpLayer;
const extAt = (d: Dissection): number => (d.hasLayer(Proto.Icmp) && layerOf(d).count > 0 ? layerOf(d).extOff[0] : -1);
const msgEnd = (d: Dissection): number => layerOf(d).end[0];
const hasExt = (d: Dissection): number => (extAt(d) >= 0 ? 1 : 0);

const CLASS_INTERFACE_INFO = 2; // RFC 5837 §4
const CLASS_INTERFACE_ID = 3; // RFC 8335 §2.1
const CLASS_NAMES: Readonly<Record<number, string>> = {
  1: 'MPLS Label Stack Class', 2: 'Interface Information Object', 3: 'Interface Identification Object', 4: 'Extended Payload',
};
const ID_BY_NAME = 1, ID_BY_INDEX = 2, ID_BY_ADDRESS = 3;
const ID_CTYPE_NAMES: Readonly<Record<number, string>> = { 1: 'Identifies Interface By Name', 2: 'Identifies Interface By Index', 3: 'Identifies Interface By Address' };
const AFI_IPV4 = 1, AFI_IPV6 = 2;
// RFC 5837 §4.1: the C-Type's bits say which parts follow.
const INFO_IFINDEX = 0x08, INFO_IPADDR = 0x04, INFO_NAME = 0x02, INFO_MTU = 0x01;
const ROLE_NAMES: Readonly<Record<number, string>> = {
  0: 'IP interface upon which datagram arrived', 1: 'Sub-IP component of an IP interface upon which datagram arrived',
  2: 'IP interface through which datagram would be forwarded', 3: 'IP next-hop to which datagram would be forwarded',
};

/** Object k of the frame's extensions: start, stated length and end within the message; false past the last. */
const obj = new Int32Array(3);
function objectAt(d: Dissection, k: number): boolean {
  const ext = extAt(d);
  if (ext < 0) return false;
  const end = msgEnd(d);
  for (let p = ext + w.EXT_HEADER_LEN; end - p >= w.OBJECT_HEADER_LEN;) {
    const len = d.buf.readUInt16BE(p);
    if (k-- === 0) {
      obj[0] = p;
      obj[1] = len;
      obj[2] = Math.min(p + Math.max(len, w.OBJECT_HEADER_LEN), end);
      return true;
    }
    // A length shorter than the header would never advance; one past the end is the last object.
    if (len < w.OBJECT_HEADER_LEN || len > end - p) return false;
    p += len;
  }
  return false;
}
const classOf = (d: Dissection): number => d.buf[obj[0] + 2];
const ctypeOf = (d: Dissection): number => d.buf[obj[0] + 3];

/** The objects for which `has` holds: how many, and which object occurrence i is (left in `obj`). */
function objects(has: (d: Dissection) => boolean) {
  const index = (d: Dissection, i: number): number => {
    for (let k = 0; objectAt(d, k); k++) if (has(d) && i-- === 0) return k;
    return -1;
  };
  return {
    count: (d: Dissection): number => {
      let n = 0;
      for (let k = 0; objectAt(d, k); k++) if (has(d)) n++;
      return n;
    },
    /** Object index of occurrence i, with `obj` set to it. */
    at: (d: Dissection, i: number): number => {
      const k = index(d, i);
      if (k >= 0) objectAt(d, k);
      return k;
    },
  };
}

// ---- the extension header ----
const extSum = (d: Dissection): number => w.internetChecksum(d.buf, extAt(d), msgEnd(d));
/** The checksum the header should carry: the sum with its own field taken as zero. */
function shouldBe(d: Dissection): number {
  const ext = extAt(d);
  let sum = 0;
  for (let p = ext; p < msgEnd(d); p += 2) {
    if (p === ext + 2) continue;
    sum += (d.buf[p] << 8) | (p + 1 < msgEnd(d) ? d.buf[p + 1] : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
const hex4 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
defineField({
  name: 'icmp.ext', label: 'ICMP Multi-Part Extensions', type: FT.None, proto: 'icmp', count: hasExt, instanceOf: () => 0,
  range: (d, _i, o) => o.set(d.buf, extAt(d), msgEnd(d) - extAt(d)),
});
defineField({
  name: 'icmp.ext.version', label: 'Version', type: FT.UInt, valueBits: 8, proto: 'icmp', parent: 'icmp.ext', count: hasExt, instanceOf: () => 0,
  num: (d) => d.buf[extAt(d)] >> 4, range: (d, _i, o) => o.set(d.buf, extAt(d), 1),
});
defineField({
  name: 'icmp.ext.res', label: 'Reserved', type: FT.Hex, hexDigits: 3, valueBits: 16, proto: 'icmp', parent: 'icmp.ext', count: hasExt, instanceOf: () => 0,
  mask: 0x0fff, bitWidth: 16, unit: (d) => d.buf.readUInt16BE(extAt(d)), num: (d) => d.buf.readUInt16BE(extAt(d)) & 0x0fff,
  range: (d, _i, o) => o.set(d.buf, extAt(d), 2),
});
defineField({
  name: 'icmp.ext.checksum', label: 'Checksum', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'icmp', parent: 'icmp.ext', count: hasExt, instanceOf: () => 0,
  num: (d) => d.buf.readUInt16BE(extAt(d) + 2), range: (d, _i, o) => o.set(d.buf, extAt(d) + 2, 2),
  display: (d) => {
    const v = d.buf.readUInt16BE(extAt(d) + 2);
    return extSum(d) === 0 ? `${hex4(v)} [correct]` : `${hex4(v)} incorrect, should be ${hex4(shouldBe(d))}`;
  },
});
defineField({
  name: 'icmp.ext.checksum_bad', label: 'Bad checksum', type: FT.None, proto: 'icmp', parent: 'icmp.ext.checksum', instanceOf: () => 0,
  expert: { severity: 'Warning', group: 'Checksum' }, count: (d) => (extAt(d) >= 0 && extSum(d) !== 0 ? 1 : 0),
  text: (d) => `Bad checksum [should be ${hex4(shouldBe(d))}]`, range: (d, _i, o) => o.set(d.buf, extAt(d) + 2, 0),
});
defineField({
  name: 'icmp.ext.checksum.status', label: 'Checksum Status', type: FT.UInt, valueBits: 8, proto: 'icmp', parent: 'icmp.ext', generated: true,
  count: hasExt, instanceOf: () => 0, num: (d) => (extSum(d) === 0 ? 1 : 0), display: (d) => (extSum(d) === 0 ? 'Good' : 'Bad'),
  range: (d, _i, o) => o.set(d.buf, extAt(d) + 2, 0),
});

// ---- objects ----
const all = objects(() => true);
const objectName = (d: Dissection): string => {
  const cls = classOf(d);
  const known = cls === CLASS_INTERFACE_INFO || (cls === CLASS_INTERFACE_ID && ctypeOf(d) >= ID_BY_NAME && ctypeOf(d) <= ID_BY_ADDRESS);
  const name = known ? CLASS_NAMES[cls] : `Unknown object (${cls}/${ctypeOf(d)})`;
  return obj[0] + obj[1] > obj[2] ? `${name} (truncated)` : name;
};
defineField({
  name: 'icmp.ext.object', label: 'Object', type: FT.None, proto: 'icmp', parent: 'icmp.ext', textNode: true, count: all.count, instanceOf: () => 0,
  heading: (d, i) => (all.at(d, i) >= 0 ? objectName(d) : 'Object'),
  range: (d, i, o) => (all.at(d, i) >= 0 ? o.set(d.buf, obj[0], obj[2] - obj[0]) : o.set(d.buf, 0, 0)),
});
interface ObjSpec {
  name: string; label: string; type: FT; valueBits?: 8 | 16 | 32; hexDigits?: number;
  /** Position within the object (from its start) and length; len -1 = to the object's end. */
  pos: (d: Dissection) => number; len: number;
  has: (d: Dissection) => boolean;
  num?: (d: Dissection, p: number) => number;
  parent?: string; mask?: number; bitWidth?: number; valueNames?: Readonly<Record<number, string>>;
  display?: (d: Dissection, p: number) => string;
}
function objField(s: ObjSpec): void {
  const sel = objects((d) => s.has(d) && obj[2] - obj[0] >= s.pos(d) + Math.max(s.len, 0));
  const spanOf = (d: Dissection, i: number, o: Span): true => {
    sel.at(d, i);
    const p = obj[0] + s.pos(d);
    return o.set(d.buf, p, s.len < 0 ? obj[2] - p : s.len);
  };
  defineField({
    name: s.name, label: s.label, type: s.type, valueBits: s.valueBits, hexDigits: s.hexDigits, proto: 'icmp', count: sel.count, instanceOf: () => 0,
    // Each node goes under the object (or sub-object) whose bytes hold it.
    parent: s.parent ?? 'icmp.ext.object',
    mask: s.mask, bitWidth: s.bitWidth, valueNames: s.valueNames,
    unit: s.mask !== undefined ? (d, i) => (sel.at(d, i), d.buf[obj[0] + s.pos(d)]) : undefined,
    num: s.num ? (d, i) => (sel.at(d, i), s.num!(d, obj[0] + s.pos(d))) : undefined,
    bytes: s.num ? undefined : spanOf,
    display: s.display ? (d, i) => (sel.at(d, i), s.display!(d, obj[0] + s.pos(d))) : undefined,
    range: spanOf,
  });
}
const anyObject = (): boolean => true;
const at0 = (n: number) => (): number => n;
objField({ name: 'icmp.ext.length', label: 'Length', type: FT.UInt, valueBits: 16, pos: at0(0), len: 2, has: anyObject, num: (d, p) => d.buf.readUInt16BE(p) });
objField({
  name: 'icmp.ext.class', label: 'Class', type: FT.UInt, valueBits: 8, pos: at0(2), len: 1, has: anyObject, num: (d, p) => d.buf[p],
  display: (d, p) => `${CLASS_NAMES[d.buf[p]] ?? 'Unknown'} (${d.buf[p]})`,
});
objField({
  name: 'icmp.ext.ctype', label: 'C-Type', type: FT.UInt, valueBits: 8, pos: at0(3), len: 1, has: anyObject, num: (d, p) => d.buf[p],
  display: (d, p) => (classOf(d) === CLASS_INTERFACE_ID && ID_CTYPE_NAMES[d.buf[p]] !== undefined ? `${d.buf[p]} (${ID_CTYPE_NAMES[d.buf[p]]})` : String(d.buf[p])),
});

// RFC 5837 §4.1: the C-Type's bits, under it.
const info = (d: Dissection): boolean => classOf(d) === CLASS_INTERFACE_INFO;
for (const [name, label, mask, type, names] of [
  ['icmp.int_info.role', 'Interface Role', 0xc0, FT.UInt, ROLE_NAMES], ['icmp.int_info.reserved', 'Reserved', 0x30, FT.UInt, undefined],
  ['icmp.int_info.ifindex', 'ifIndex', INFO_IFINDEX, FT.Bool, undefined], ['icmp.int_info.ipaddr', 'IP Address', INFO_IPADDR, FT.Bool, undefined],
  ['icmp.int_info.name_present', 'Interface Name', INFO_NAME, FT.Bool, undefined], ['icmp.int_info.mtu_present', 'MTU', INFO_MTU, FT.Bool, undefined],
] as const) {
  const shift = Math.log2(mask & -mask);
  objField({
    name, label, type, valueBits: type === FT.Bool ? undefined : 8, pos: at0(3), len: 1, has: info, parent: 'icmp.ext.ctype', mask, bitWidth: 8,
    valueNames: names, num: (d, p) => (d.buf[p] & mask) >> shift,
  });
}
// The parts that follow an Interface Information object's header, in order, each present by its bit.
const infoBits = (d: Dissection): number => d.buf[obj[0] + 3];
const ifIndexPos = (): number => w.OBJECT_HEADER_LEN;
const addrPos = (d: Dissection): number => ifIndexPos() + ((infoBits(d) & INFO_IFINDEX) !== 0 ? 4 : 0);
const addrLen = (d: Dissection, p: number): number => {
  const afi = d.buf.readUInt16BE(p);
  return 4 + (afi === AFI_IPV4 ? 4 : afi === AFI_IPV6 ? 16 : 0);
};
const namePos = (d: Dissection): number => {
  const p = addrPos(d);
  return p + ((infoBits(d) & INFO_IPADDR) !== 0 && obj[2] - obj[0] >= p + 2 ? addrLen(d, obj[0] + p) : 0);
};
const mtuPos = (d: Dissection): number => {
  const p = namePos(d);
  return p + ((infoBits(d) & INFO_NAME) !== 0 && obj[2] - obj[0] > p ? d.buf[obj[0] + p] : 0);
};
objField({ name: 'icmp.int_info.index', label: 'Interface Index', type: FT.UInt, valueBits: 32, pos: ifIndexPos, len: 4, has: (d) => info(d) && (infoBits(d) & INFO_IFINDEX) !== 0, num: (d, p) => d.buf.readUInt32BE(p) });
{
  const hasAddr = (d: Dissection): boolean => info(d) && (infoBits(d) & INFO_IPADDR) !== 0 && obj[2] - obj[0] >= addrPos(d) + 4;
  const sel = objects(hasAddr);
  defineField({
    name: 'icmp.int_info.ip_subobject', label: 'IP Address Sub-Object', type: FT.None, proto: 'icmp', textNode: true, parent: 'icmp.ext.object',
    count: sel.count, instanceOf: () => 0, heading: () => 'IP Address Sub-Object',
    range: (d, i, o) => (sel.at(d, i), o.set(d.buf, obj[0] + addrPos(d), Math.min(addrLen(d, obj[0] + addrPos(d)), obj[2] - obj[0] - addrPos(d)))),
  });
  const under = 'icmp.int_info.ip_subobject';
  objField({ name: 'icmp.int_info.afi', label: 'Address Family Identifier', type: FT.UInt, valueBits: 16, pos: addrPos, len: 2, has: hasAddr, parent: under, num: (d, p) => d.buf.readUInt16BE(p) });
  objField({ name: 'icmp.reserved', label: 'Reserved', type: FT.Bytes, pos: (d) => addrPos(d) + 2, len: 2, has: hasAddr, parent: under });
  const afiIs = (afi: number) => (d: Dissection): boolean => hasAddr(d) && d.buf.readUInt16BE(obj[0] + addrPos(d)) === afi;
  objField({ name: 'icmp.int_info.ipv4', label: 'Source', type: FT.IPv4, pos: (d) => addrPos(d) + 4, len: 4, has: afiIs(AFI_IPV4), parent: under, num: (d, p) => d.buf.readUInt32BE(p) });
  objField({ name: 'icmp.int_info.ipv6', label: 'Source', type: FT.IPv6, pos: (d) => addrPos(d) + 4, len: 16, has: afiIs(AFI_IPV6), parent: under });
}
{
  const hasName = (d: Dissection): boolean => info(d) && (infoBits(d) & INFO_NAME) !== 0 && obj[2] - obj[0] > namePos(d);
  const sel = objects(hasName);
  defineField({
    name: 'icmp.int_info.name_subobject', label: 'Interface Name Sub-Object', type: FT.None, proto: 'icmp', textNode: true, parent: 'icmp.ext.object',
    count: sel.count, instanceOf: () => 0, heading: () => 'Interface Name Sub-Object',
    range: (d, i, o) => (sel.at(d, i), o.set(d.buf, obj[0] + namePos(d), Math.min(d.buf[obj[0] + namePos(d)], obj[2] - obj[0] - namePos(d)))),
  });
  objField({
    name: 'icmp.int_info.name_length', label: 'Name Length', type: FT.UInt, valueBits: 8, pos: namePos, len: 1, has: hasName,
    parent: 'icmp.int_info.name_subobject', num: (d, p) => d.buf[p],
  });
}
objField({ name: 'icmp.int_info.mtu', label: 'MTU', type: FT.UInt, valueBits: 32, pos: mtuPos, len: 4, has: (d) => info(d) && (infoBits(d) & INFO_MTU) !== 0, num: (d, p) => d.buf.readUInt32BE(p) });

// RFC 8335 §2.1: the interface an extended echo asks about, by name, index or address.
const ident = (ctype: number) => (d: Dissection): boolean => classOf(d) === CLASS_INTERFACE_ID && ctypeOf(d) === ctype;
{
  const sel = objects((d) => ident(ID_BY_NAME)(d) && obj[2] > obj[0] + w.OBJECT_HEADER_LEN);
  const nameSpan = (d: Dissection, i: number, o: Span): true => (sel.at(d, i), o.set(d.buf, obj[0] + w.OBJECT_HEADER_LEN, obj[2] - obj[0] - w.OBJECT_HEADER_LEN));
  defineField({
    name: 'icmp.int_ident.name', label: 'Interface Name', type: FT.String, proto: 'icmp', parent: 'icmp.ext.object', count: sel.count, instanceOf: () => 0,
    bytes: nameSpan, range: nameSpan,
    // The name is padded with zeros to a 32-bit boundary; the text stops at the first.
    text: (d, i) => {
      nameSpan(d, i, span);
      const z = d.buf.indexOf(0, span.off);
      const stop = z >= 0 && z < span.off + span.len ? z : span.off + span.len;
      return d.buf.toString('latin1', span.off, stop);
    },
  });
}
const span = new Span();
objField({ name: 'icmp.int_ident.index', label: 'Interface Index', type: FT.UInt, valueBits: 32, pos: at0(4), len: 4, has: ident(ID_BY_INDEX), num: (d, p) => d.buf.readUInt32BE(p) });
objField({ name: 'icmp.int_ident.afi', label: 'Address Family Identifier', type: FT.UInt, valueBits: 16, pos: at0(4), len: 2, has: ident(ID_BY_ADDRESS), num: (d, p) => d.buf.readUInt16BE(p) });
objField({ name: 'icmp.int_ident.addr_length', label: 'Address Length', type: FT.UInt, valueBits: 8, pos: at0(6), len: 1, has: ident(ID_BY_ADDRESS), num: (d, p) => d.buf[p] });
objField({ name: 'icmp.int_ident.reserved', label: 'Reserved', type: FT.Bytes, pos: at0(7), len: 1, has: ident(ID_BY_ADDRESS) });
const identAfi = (afi: number) => (d: Dissection): boolean => ident(ID_BY_ADDRESS)(d) && obj[2] - obj[0] >= 6 && d.buf.readUInt16BE(obj[0] + 4) === afi;
objField({ name: 'icmp.int_ident.ipv4', label: 'IPv4 Address', type: FT.IPv4, pos: at0(8), len: 4, has: identAfi(AFI_IPV4), num: (d, p) => d.buf.readUInt32BE(p) });
objField({ name: 'icmp.int_ident.ipv6', label: 'IPv6 Address', type: FT.IPv6, pos: at0(8), len: 16, has: identAfi(AFI_IPV6) });
// An object of a class or C-Type tcpwatch does not read: its payload as data.
{
  const known = (d: Dissection): boolean => classOf(d) === CLASS_INTERFACE_INFO || (classOf(d) === CLASS_INTERFACE_ID && ctypeOf(d) >= ID_BY_NAME && ctypeOf(d) <= ID_BY_ADDRESS);
  objField({ name: 'icmp.ext.data', label: 'Data', type: FT.Bytes, pos: at0(4), len: -1, has: (d) => !known(d) && obj[2] > obj[0] + w.OBJECT_HEADER_LEN });
}
