// DNS messages on the wire (RFC 1035 §4.1): a 12-byte header, then questions and resource
// records whose names may point back into the message (§4.1.4, compression). This file walks a
// message into numbers and offsets (the layer slot in index.ts) and expands names into text only
// when a view asks. Every walk is bounded: by the message's bytes, by a limit on pointer jumps and
// labels, and by a limit on the records kept per frame.

// RFC 1035 §4.1.1: ID(2) flags(2) QDCOUNT(2) ANCOUNT(2) NSCOUNT(2) ARCOUNT(2)
export const DNS_ID = 0;
export const DNS_FLAGS = 2;
export const DNS_QDCOUNT = 4;
export const DNS_ANCOUNT = 6;
export const DNS_NSCOUNT = 8;
export const DNS_ARCOUNT = 10;
export const DNS_HEADER_LEN = 12;
/** RFC 1035 §4.2.2: over TCP each message is preceded by its 2-byte length. */
export const DNS_TCP_LENGTH_LEN = 2;

// Flag bits of the header's second word (RFC 1035 §4.1.1, RFC 2535 §6.1 for AD and CD).
export const F_RESPONSE = 0x8000;
export const F_OPCODE = 0x7800;
export const OPCODE_SHIFT = 11;
export const F_AUTHORITATIVE = 0x0400;
export const F_TRUNCATED = 0x0200;
export const F_RECDESIRED = 0x0100;
export const F_RECAVAIL = 0x0080;
export const F_Z = 0x0040;
export const F_AUTHENTIC = 0x0020;
export const F_CHECKDISABLE = 0x0010;
export const F_RCODE = 0x000f;

// Resource record header after the owner name (RFC 1035 §4.1.3): TYPE(2) CLASS(2) TTL(4) RDLENGTH(2).
export const RR_TYPE = 0;
export const RR_CLASS = 2;
export const RR_TTL = 4;
export const RR_RDLENGTH = 8;
export const RR_FIXED_LEN = 10;
/** A question's fixed part after its name: QTYPE(2) QCLASS(2). */
export const QUESTION_FIXED_LEN = 4;

// Types tcpwatch reads the data of (IANA "Resource Record (RR) TYPEs").
export const T_A = 1;
export const T_NS = 2;
export const T_CNAME = 5;
export const T_SOA = 6;
export const T_PTR = 12;
export const T_HINFO = 13;
export const T_MX = 15;
export const T_TXT = 16;
export const T_AAAA = 28;
export const T_SRV = 33;
export const T_OPT = 41;
export const T_SVCB = 64;
export const T_HTTPS = 65;
export const T_AXFR = 252;
export const T_IXFR = 251;
export const C_IN = 1;
/** mDNS (RFC 6762 §5.4, §10.2): the class's top bit is "unicast response" in questions, "cache flush" in answers. */
export const C_TOP_BIT = 0x8000;

/**
 * Pointer jumps after which a name is taken to loop, as Wireshark takes more than 255. Labels in
 * place are bounded by the message's bytes; once a pointer is followed, labels and jumps together
 * are bounded too (RFC 1035 §2.3.4: a real name has at most 127 labels), so that no name costs
 * more than MAX_NAME_STEPS turns however its pointers are laid out.
 */
export const MAX_NAME_JUMPS = 255;
export const MAX_NAME_STEPS = 4096;
/** Characters of a name beyond which Wireshark shows `<Name too long>` (its MAX_DNAME_LEN less the terminator). */
export const MAX_NAME_CHARS = 255;

export const LABEL_POINTER = 0xc0;
export const LABEL_EXTENDED = 0x40;
/** RFC 2673 bit-string label (extended label type 1). */
export const LABEL_BITSTRING = 0x41;

/**
 * Walk the name that starts at `p` in the message [msgOff, msgEnd): returns where the name ends in
 * place (after its zero label, or after the first pointer), or -1 when it runs past the message, a
 * pointer leads outside it, or it uses the reserved label type 0x80. Pointers may point anywhere
 * in the message (Wireshark follows forward ones too); loops are cut after MAX_NAME_STEPS.
 */
export function walkName(buf: Buffer, msgOff: number, msgEnd: number, p: number): number {
  let end = -1;
  let jumps = 0;
  for (let steps = 0; ; steps++) {
    if (p >= msgEnd) return -1;
    // A loop (or a chain longer than any name): the name ends where it ends in place, and its
    // text is Wireshark's `<Name contains a pointer that loops>`.
    if (end >= 0 && (jumps > MAX_NAME_JUMPS || steps > MAX_NAME_STEPS)) return end;
    const len = buf[p];
    if (len === 0) return end >= 0 ? end : p + 1;
    switch (len & LABEL_POINTER) {
      case 0:
        if (p + 1 + len > msgEnd) return -1;
        p += 1 + len;
        break;
      case LABEL_POINTER: {
        if (p + 2 > msgEnd) return -1;
        const target = msgOff + (((len & 0x3f) << 8) | buf[p + 1]);
        if (end < 0) end = p + 2;
        jumps++;
        if (target >= msgEnd) return -1;
        p = target;
        break;
      }
      case LABEL_EXTENDED:
        if (len === LABEL_BITSTRING) {
          if (p + 2 > msgEnd) return -1;
          const bits = buf[p + 1];
          const bytes = bits === 0 ? 32 : ((bits - 1) >> 3) + 1;
          if (p + 2 + bytes > msgEnd) return -1;
          p += 2 + bytes;
          break;
        }
        // Another extended label type: the name ends here (`<Unknown extended label>`).
        return end >= 0 ? end : p + 1;
      default:
        return -1; // 0x80: reserved (RFC 1035 §4.1.4)
    }
  }
}

/** The root name, as Wireshark shows a zero-length name. */
export const ROOT_NAME = '<Root>';
const NAME_LOOPS = '<Name contains a pointer that loops>';
const NAME_TOO_LONG = '<Name too long>';
const UNKNOWN_EXTENDED = '<Unknown extended label>';

/** Octets of a label as Wireshark's format_text shows them: printable ASCII as is, others escaped. */
// A name's text is put together here byte by byte and decoded once: it is ASCII (escapes stand for
// the other bytes), and one decode is cheaper than joining a string per character and per label.
// Room for the longest text kept (MAX_NAME_CHARS) and one more label: '.' and 63 bytes escaped, or
// a bit-string label's 64 bytes in hex.
const nameBytes = Buffer.alloc(1024);

/** A label's bytes as Wireshark shows them: printable ASCII as it is, the rest as `\ooo`. */
function putLabel(buf: Buffer, off: number, len: number, t: Buffer, q: number): number {
  for (let i = 0; i < len; i++) {
    const c = buf[off + i];
    if (c >= 0x20 && c < 0x7f) {
      t[q++] = c;
    } else {
      t[q++] = 0x5c;
      t[q++] = 0x30 + (c >> 6);
      t[q++] = 0x30 + ((c >> 3) & 7);
      t[q++] = 0x30 + (c & 7);
    }
  }
  return q;
}

const HEX = '0123456789abcdef';

/** A bit-string label (RFC 2673) as `\[xHEX/BITS]`, its bytes inside the message. */
function putBitstring(buf: Buffer, p: number, bytes: number, bits: number, msgEnd: number, t: Buffer, q: number): number {
  q += t.write('\\[x', q, 'latin1');
  for (let i = 0; i < bytes && p + 2 + i < msgEnd; i++) {
    t[q++] = HEX.charCodeAt(buf[p + 2 + i] >> 4);
    t[q++] = HEX.charCodeAt(buf[p + 2 + i] & 15);
  }
  q += t.write(`/${bits}]`, q, 'latin1');
  return q;
}

/** The text of a name already checked by walkName (so every read is inside the message). */
export function nameText(buf: Buffer, msgOff: number, msgEnd: number, p: number): string {
  const t = nameBytes;
  let kept = 0;
  let first = true;
  let tooLong = false;
  let jumps = 0;
  for (let steps = 0; ; steps++) {
    if (p >= msgEnd) break;
    if (jumps > 0 && (jumps > MAX_NAME_JUMPS || steps > MAX_NAME_STEPS)) return NAME_LOOPS;
    const len = buf[p];
    if (len === 0) break;
    const kind = len & LABEL_POINTER;
    if (kind === LABEL_POINTER) {
      if (p + 2 > msgEnd) break;
      jumps++;
      p = msgOff + (((len & 0x3f) << 8) | buf[p + 1]);
      continue;
    }
    if (kind === LABEL_EXTENDED && len !== LABEL_BITSTRING) return UNKNOWN_EXTENDED;
    if (kind !== 0 && kind !== LABEL_EXTENDED) break;
    const bits = kind === 0 ? 0 : buf[p + 1];
    const bytes = kind === 0 ? 0 : bits === 0 ? 32 : ((bits - 1) >> 3) + 1;
    if (!tooLong) {
      // The label goes after the text kept so far, and stays only if the whole fits.
      let q = kept;
      if (!first) t[q++] = 0x2e;
      q = kind === 0 ? putLabel(buf, p + 1, Math.min(len, msgEnd - p - 1), t, q) : putBitstring(buf, p, bytes, bits, msgEnd, t, q);
      if (q > MAX_NAME_CHARS) tooLong = true;
      else kept = q;
    }
    first = false;
    p = kind === 0 ? p + 1 + len : p + 2 + bytes;
  }
  if (tooLong) return NAME_TOO_LONG;
  return kept === 0 ? ROOT_NAME : t.toString('latin1', 0, kept);
}

/**
 * Characters and labels of a name as tshark 4.0 counts them for dns.qry.name.len and
 * dns.count.labels: of the text it shows (`<Root>` is 6 characters, 1 label), and nothing for a
 * text of one character.
 */
export function nameLength(text: string): number {
  return text.length > 1 ? text.length : 0;
}

export function labelCount(text: string): number {
  if (text.length <= 1) return 0;
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x2e) n++;
  return n;
}

/**
 * Bytes of the DNS-over-TCP PDU that starts at `off` (the 2-byte length and the message), or -1
 * when fewer than 2 bytes lie before `end` — the length is not known yet. For the shared TCP PDU
 * framing (Wireshark's tcp_dissect_pdus with get_dns_pdu_len).
 */
export function dnsTcpPduLength(buf: Buffer, off: number, end: number): number {
  if (end - off < DNS_TCP_LENGTH_LEN) return -1;
  return DNS_TCP_LENGTH_LEN + buf.readUInt16BE(off);
}
