// A bounded reader of DER (ITU-T X.690) for the certificates and names TLS carries: one TLV header
// at a time, its contents checked to fit inside the enclosing element. It never throws and never
// reads past `end`; a caller that gets `false` stops walking that element.

/** Universal tags tcpwatch reads. */
export const enum Tag {
  Boolean = 0x01,
  Integer = 0x02,
  BitString = 0x03,
  OctetString = 0x04,
  Null = 0x05,
  Oid = 0x06,
  Utf8String = 0x0c,
  PrintableString = 0x13,
  TeletexString = 0x14,
  Ia5String = 0x16,
  UtcTime = 0x17,
  GeneralizedTime = 0x18,
  VisibleString = 0x1a,
  UniversalString = 0x1c,
  BmpString = 0x1e,
  Sequence = 0x30,
  Set = 0x31,
}

/** One TLV: its tag byte, where it starts, where its contents lie and where it ends. */
export class Tlv {
  tag = -1;
  start = 0;
  body = 0;
  len = 0;
  get end(): number { return this.body + this.len; }

  /** Read the TLV at `off`, which must end by `end`. Tags of more than one byte and indefinite lengths are not DER here. */
  read(buf: Buffer, off: number, end: number): boolean {
    this.tag = -1;
    if (off < 0 || end > buf.length || end - off < 2) return false;
    const tag = buf[off];
    if ((tag & 0x1f) === 0x1f) return false;
    let len = buf[off + 1];
    let p = off + 2;
    if (len & 0x80) {
      const nb = len & 0x7f;
      if (nb === 0 || nb > 4 || end - p < nb) return false;
      len = 0;
      for (let i = 0; i < nb; i++) len = len * 256 + buf[p + i];
      p += nb;
    }
    if (len > end - p) return false;
    this.tag = tag;
    this.start = off;
    this.body = p;
    this.len = len;
    return true;
  }

  copy(from: Tlv): this {
    this.tag = from.tag;
    this.start = from.start;
    this.body = from.body;
    this.len = from.len;
    return this;
  }
}

/** Dotted text of the OID whose contents are [off, off+len); '' when malformed. */
export function oidText(buf: Buffer, off: number, len: number): string {
  if (len <= 0 || off + len > buf.length) return '';
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < len; i++) {
    const b = buf[off + i];
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) return '';
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        arcs.push(first, v - first * 40);
      } else {
        arcs.push(v);
      }
      v = 0;
    }
  }
  return (buf[off + len - 1] & 0x80) !== 0 ? '' : arcs.join('.');
}

/** An unsigned INTEGER's value when it fits a double exactly, else NaN. */
export function integerValue(buf: Buffer, off: number, len: number): number {
  if (len <= 0 || len > 6) return NaN;
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + buf[off + i];
  return v;
}
