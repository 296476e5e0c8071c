// What DNS keeps per frame: the messages the frame holds (one over UDP; over TCP every whole
// length-prefixed message of the segment) and, for each, its questions and resource records as
// offsets. Made once per Dissection; decoding fills it with numbers only.

import { Dissection, Malformed } from '../../decode/dissection';
import {
  DNS_HEADER_LEN, DNS_QDCOUNT, QUESTION_FIXED_LEN, RR_FIXED_LEN,
  RR_CLASS, RR_RDLENGTH, RR_TYPE, T_A, T_AAAA, C_IN, T_CNAME, T_MX, T_NS, T_PTR, T_SOA, T_SRV, walkName, nameText,
} from './wire';
import { learnIpv4Name, learnIpv6Name, nameResolution } from '../../fields/names';

/** Messages kept per frame (a TCP segment may hold several). */
export const MAX_MESSAGES = 16;
/** Questions and records kept per frame; a 64 KiB message holds at most ~6000 minimal records, a real one a few hundred. */
export const MAX_RECORDS = 4096;

export const enum Section {
  Question = 0,
  Answer = 1,
  Authority = 2,
  Additional = 3,
}

/** The three protocols that share DNS's message format and fields, as Wireshark registers them. */
export const BAD_DATA_NAMES = 1;
export const BAD_DATA_CUT = 2;

export const enum DnsKind {
  Dns = 0,
  Mdns = 1,
  Llmnr = 2,
}

export class DnsLayer {
  kind: DnsKind = DnsKind.Dns;
  /**
   * The bytes every offset of the layer points into: the frame's buffer, or, in a frame where a
   * message reassembled from several TCP segments completes, `copy`, which then holds that message
   * and each whole message of the segment after it (so that one buffer serves the whole frame).
   */
  buf: Buffer = EMPTY;
  private copy: Buffer = EMPTY;
  /** Where the layer's bytes start (the first message, or its TCP length field). */
  off = 0;
  end = 0;
  msgCount = 0;
  /** Start of each message's header, its end, and where its TCP length field is (-1 over UDP). */
  readonly msgOff = new Int32Array(MAX_MESSAGES);
  readonly msgEnd = new Int32Array(MAX_MESSAGES);
  readonly lengthOff = new Int32Array(MAX_MESSAGES);
  readonly firstRecord = new Int32Array(MAX_MESSAGES);
  readonly recordsIn = new Int32Array(MAX_MESSAGES);
  recCount = 0;
  /** Each question or record: where its owner name starts, where the name ends in place, where the record ends. */
  readonly recOff = new Int32Array(MAX_RECORDS);
  readonly recNameEnd = new Int32Array(MAX_RECORDS);
  readonly recEnd = new Int32Array(MAX_RECORDS);
  readonly recSection = new Uint8Array(MAX_RECORDS);
  readonly recMsg = new Uint8Array(MAX_RECORDS);
  /**
   * Why the record's data could not be read, 0 when it could: BAD_DATA_NAMES (its names run outside
   * the message; tshark has shown the record's header) or BAD_DATA_CUT (it runs past the message;
   * tshark shows its type in Info and nothing in the tree). Either way decoding stops there.
   */
  readonly recBadData = new Uint8Array(MAX_RECORDS);

  reset(kind: DnsKind, buf: Buffer, off: number, end: number): void {
    this.kind = kind;
    this.buf = buf;
    this.off = off;
    this.end = end;
    this.msgCount = 0;
    this.recCount = 0;
  }

  /**
   * Where [off, end) of `buf` (one DNS-over-TCP PDU) lies in the layer's buffer: in place when the
   * layer reads that buffer; otherwise copied after what `copy` holds, and the layer reads `copy`.
   * Only a frame that completes a reassembled message copies, at most the frame's bytes.
   */
  place(buf: Buffer, off: number, end: number): number {
    if (buf === this.buf) return off;
    const at = this.buf === this.copy ? this.end : 0;
    // Messages already read in place stay where they are; a reassembled one always comes first.
    if (at === 0 && this.msgCount > 0) return -1;
    const need = at + (end - off);
    if (this.copy.length < need) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.copy.length * 2, 4096));
      this.copy.copy(grown, 0, 0, at);
      this.copy = grown;
    }
    buf.copy(this.copy, at, off, end);
    this.buf = this.copy;
    if (at === 0) this.off = 0;
    this.end = need;
    return at;
  }
}

const EMPTY = Buffer.alloc(0);

function addRecord(l: DnsLayer, msg: number, section: Section, off: number, nameEnd: number, end: number): number {
  const r = l.recCount++;
  l.recOff[r] = off;
  l.recNameEnd[r] = nameEnd;
  l.recEnd[r] = end;
  l.recSection[r] = section;
  l.recMsg[r] = msg;
  l.recBadData[r] = 0;
  l.recordsIn[msg]++;
  return r;
}

/** Whether the names inside a record's data (NS, CNAME, PTR, MX, SOA, SRV) lie in the message. */
function rdataNamesOk(buf: Buffer, msgOff: number, msgEnd: number, type: number, rdata: number, rdlen: number): boolean {
  switch (type) {
    case T_NS: case T_CNAME: case T_PTR:
      return walkName(buf, msgOff, msgEnd, rdata) >= 0;
    case T_MX:
      return rdlen >= 2 && walkName(buf, msgOff, msgEnd, rdata + 2) >= 0;
    case T_SRV:
      return rdlen >= 6 && walkName(buf, msgOff, msgEnd, rdata + 6) >= 0;
    case T_SOA: {
      const rname = walkName(buf, msgOff, msgEnd, rdata);
      if (rname < 0) return false;
      const serial = walkName(buf, msgOff, msgEnd, rname);
      return serial >= 0 && serial + 20 <= msgEnd;
    }
    default:
      return true;
  }
}

/**
 * Decode the DNS message [off, end) (its header onwards) into message slot `l.msgCount` of the
 * layer: every question and record the counts name, as far as the bytes go. A message that ends
 * before its counts are met, or whose names lead outside it, marks the frame malformed (Wireshark
 * stops at the same place). `lengthOff` is where its TCP length field is, -1 over UDP. Usable on
 * any byte range: the shared TCP PDU framing calls it once per reassembled message.
 */
export function decodeDnsMessage(d: Dissection, l: DnsLayer, off: number, end: number, lengthOff: number, id: number): void {
  if (l.msgCount >= MAX_MESSAGES) return;
  const buf = l.buf;
  const m = l.msgCount++;
  l.msgOff[m] = off;
  l.msgEnd[m] = end;
  l.lengthOff[m] = lengthOff;
  l.firstRecord[m] = l.recCount;
  l.recordsIn[m] = 0;
  if (end - off < DNS_HEADER_LEN) {
    d.markMalformed(Malformed.Application, id);
    return;
  }
  let p = off + DNS_HEADER_LEN;
  // QDCOUNT, ANCOUNT, NSCOUNT and ARCOUNT follow each other (RFC 1035 §4.1.1), one per section.
  for (let section = Section.Question; section <= Section.Additional; section++) {
    // Each question takes at least 5 bytes and each record 11, so a count larger than the bytes
    // left ends in the malformed mark below rather than in 65535 turns.
    const count = buf.readUInt16BE(off + DNS_QDCOUNT + 2 * section);
    for (let k = 0; k < count; k++) {
      if (l.recCount >= MAX_RECORDS) return;
      const nameEnd = walkName(buf, off, end, p);
      if (nameEnd < 0) {
        d.markMalformed(Malformed.Application, id);
        return;
      }
      if (section === Section.Question) {
        if (nameEnd + QUESTION_FIXED_LEN > end) {
          d.markMalformed(Malformed.Application, id);
          return;
        }
        addRecord(l, m, section, p, nameEnd, nameEnd + QUESTION_FIXED_LEN);
        p = nameEnd + QUESTION_FIXED_LEN;
        continue;
      }
      if (nameEnd + RR_FIXED_LEN > end) {
        d.markMalformed(Malformed.Application, id);
        return;
      }
      const rdlen = buf.readUInt16BE(nameEnd + RR_RDLENGTH);
      const rdata = nameEnd + RR_FIXED_LEN;
      const recEnd = rdata + rdlen;
      const r = addRecord(l, m, section, p, nameEnd, recEnd > end ? end : recEnd);
      if (recEnd > end || (rdlen > 0 && !rdataNamesOk(buf, off, end, buf.readUInt16BE(nameEnd + RR_TYPE), rdata, rdlen))) {
        l.recBadData[r] = recEnd > end ? BAD_DATA_CUT : BAD_DATA_NAMES;
        d.markMalformed(Malformed.Application, id);
        return;
      }
      if (nameResolution.learnFromDns) learnName(d, buf, off, end, p, nameEnd, rdata, rdlen);
      p = recEnd;
    }
  }
}

// RFC 1035 §3.4.1, RFC 3596 §2.2
const A_RDATA_LEN = 4;
const AAAA_RDATA_LEN = 16;
/** The class without mDNS's cache-flush bit (RFC 6762 §10.2), as Wireshark compares it. */
const CLASS_MASK = 0x7f;

/**
 * With -N n, an A or AAAA record names its address for the rest of the capture, whichever section
 * it is in (Wireshark's add_ipv4_name and add_ipv6_name from the DNS dissector).
 */
function learnName(d: Dissection, buf: Buffer, msgOff: number, msgEnd: number, p: number, nameEnd: number, rdata: number, rdlen: number): void {
  const type = buf.readUInt16BE(nameEnd + RR_TYPE);
  if ((buf.readUInt16BE(nameEnd + RR_CLASS) & CLASS_MASK) !== C_IN) return;
  if (type === T_A && rdlen >= A_RDATA_LEN) learnIpv4Name(buf, rdata, nameText(buf, msgOff, msgEnd, p), d.number);
  else if (type === T_AAAA && rdlen >= AAAA_RDATA_LEN) learnIpv6Name(buf, rdata, nameText(buf, msgOff, msgEnd, p), d.number);
}
