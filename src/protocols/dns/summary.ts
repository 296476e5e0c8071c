// The Info column of a DNS message as tshark 4.0 writes it (packet-dns.c, dissect_dns_common and
// dissect_dns_answer): `Standard query response 0x88d8 No such name A wpad.home SOA a.root-servers.net`
// — opcode, "response", the ID, the reply code when it is not "No error", then each question's
// type and name and each record's type and the gist of its data.

import { Dissection } from '../../decode/dissection';
import { ipv4At, ipv6At } from '../../fields/format';
import { DnsKind, DnsLayer, Section } from './layer';
import { opcodeName, rcodeName, typeName } from './types';
import {
  C_IN, C_TOP_BIT, DNS_FLAGS, DNS_HEADER_LEN, DNS_ID, F_OPCODE, F_RCODE, F_RESPONSE, OPCODE_SHIFT, RR_CLASS, RR_FIXED_LEN,
  RR_RDLENGTH, RR_TYPE, T_A, T_AAAA, T_CNAME, T_HINFO, T_MX, T_NS, T_PTR, T_SOA, T_SRV, nameText,
} from './wire';

const hex4 = (v: number): string => '0x' + v.toString(16).padStart(4, '0');

export function recordType(d: Dissection, l: DnsLayer, r: number): number {
  return l.buf.readUInt16BE(l.recNameEnd[r] + RR_TYPE);
}

export function recordClass(d: Dissection, l: DnsLayer, r: number): number {
  return l.buf.readUInt16BE(l.recNameEnd[r] + RR_CLASS);
}

export function rdataOff(l: DnsLayer, r: number): number {
  return l.recNameEnd[r] + RR_FIXED_LEN;
}

export function rdataLen(d: Dissection, l: DnsLayer, r: number): number {
  return l.buf.readUInt16BE(l.recNameEnd[r] + RR_RDLENGTH);
}

/** The owner name of question or record r. */
export function ownerName(d: Dissection, l: DnsLayer, r: number): string {
  const m = l.recMsg[r];
  return nameText(l.buf, l.msgOff[m], l.msgEnd[m], l.recOff[r]);
}

/** A name inside record r's data, at `p`. */
export function dataName(d: Dissection, l: DnsLayer, r: number, p: number): string {
  const m = l.recMsg[r];
  return nameText(l.buf, l.msgOff[m], l.msgEnd[m], p);
}

/** The class as the tree heads a question or record (`class IN`), the mDNS top bit set aside. */
export function classOf(d: Dissection, l: DnsLayer, r: number): number {
  const c = recordClass(d, l, r);
  return l.kind === DnsKind.Mdns ? c & ~C_TOP_BIT : c;
}

/** What tshark appends to Info for the data of record r (after its type), '' when nothing. */
export function rdataSummary(d: Dissection, l: DnsLayer, r: number): string {
  if (l.recBadData[r] !== 0 || rdataLen(d, l, r) === 0) return '';
  const buf = l.buf;
  const p = rdataOff(l, r);
  switch (recordType(d, l, r)) {
    case T_A:
      return classOf(d, l, r) === C_IN && p + 4 <= l.msgEnd[l.recMsg[r]] ? ' ' + ipv4At(buf, p) : '';
    case T_AAAA:
      return p + 16 <= l.msgEnd[l.recMsg[r]] ? ' ' + ipv6At(buf, p) : '';
    case T_NS: case T_CNAME: case T_PTR: case T_SOA:
      return ' ' + dataName(d, l, r, p);
    case T_MX:
      return ` ${buf.readUInt16BE(p)} ${dataName(d, l, r, p + 2)}`;
    case T_SRV:
      return ` ${buf.readUInt16BE(p)} ${buf.readUInt16BE(p + 2)} ${buf.readUInt16BE(p + 4)} ${dataName(d, l, r, p + 6)}`;
    case T_HINFO: {
      const end = l.recEnd[r];
      const cpuLen = buf[p];
      const os = p + 1 + cpuLen;
      if (os >= end) return '';
      const osLen = Math.min(buf[os], end - os - 1);
      return ` ${buf.toString('latin1', p + 1, os)} ${buf.toString('latin1', os + 1, os + 1 + osLen)}`;
    }
    default:
      return '';
  }
}

/** The Info text of message m of the frame. */
export function messageInfo(d: Dissection, l: DnsLayer, m: number): string {
  const buf = l.buf;
  const off = l.msgOff[m];
  if (l.msgEnd[m] - off < DNS_FLAGS + 2) return '';
  const flags = buf.readUInt16BE(off + DNS_FLAGS);
  const response = (flags & F_RESPONSE) !== 0;
  let s = opcodeName((flags & F_OPCODE) >> OPCODE_SHIFT) + (response ? ' response' : '') + ' ' + hex4(buf.readUInt16BE(off + DNS_ID));
  if (response && (flags & F_RCODE) !== 0) s += ' ' + rcodeName(flags & F_RCODE);
  if (l.msgEnd[m] - off < DNS_HEADER_LEN) return s;
  const first = l.firstRecord[m];
  const mdns = l.kind === DnsKind.Mdns;
  for (let r = first; r < first + l.recordsIn[m]; r++) {
    const type = recordType(d, l, r);
    if (l.recSection[r] === Section.Question) {
      s += ` ${typeName(type)} ${ownerName(d, l, r)}`;
      if (mdns) s += (recordClass(d, l, r) & C_TOP_BIT) !== 0 ? ', "QU" question' : ', "QM" question';
      continue;
    }
    s += ' ' + typeName(type);
    if (mdns && type !== 41 && (recordClass(d, l, r) & C_TOP_BIT) !== 0) s += ', cache flush';
    s += rdataSummary(d, l, r);
  }
  return s;
}

