// HPACK header decoding for HTTP/2 (RFC 7541): integers with prefixes, string literals (raw or
// Huffman-coded), the static table, and a dynamic table per direction of a connection. Header
// blocks must be decoded in order, every one of them, or the dynamic table goes out of step; a
// block that fails to decode marks the decoder broken and later blocks are not guessed at.

/** RFC 7541 Appendix A: the static table, index 1..61. */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/**
 * RFC 7541 Appendix B: Huffman code length of each symbol 0..255 and EOS (256). The code is
 * canonical (codes of one length are consecutive, in symbol order, after all shorter ones), so the
 * lengths determine every code.
 */
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;

/** Decoding tree of the canonical code: node i has children at child[2i] (bit 0) and child[2i+1] (bit 1); leaves are -1 - symbol. */
const tree: number[] = [0, 0];
/** Huffman codes by symbol (MSB-first, `CODE_LENGTHS[s]` bits), exported for tests. */
export const HUFFMAN_CODES: number[] = new Array<number>(257).fill(0);

(function buildTree(): void {
  const order = [...CODE_LENGTHS.keys()].sort((a, b) => CODE_LENGTHS[a] - CODE_LENGTHS[b] || a - b);
  let code = 0;
  let prevLen = CODE_LENGTHS[order[0]];
  let nodes = 1;
  for (let k = 0; k < order.length; k++) {
    const s = order[k];
    const len = CODE_LENGTHS[s];
    if (k > 0) code = (code + 1) * 2 ** (len - prevLen);
    prevLen = len;
    HUFFMAN_CODES[s] = code;
    let node = 0;
    for (let b = len - 1; b >= 0; b--) {
      const bit = Math.floor(code / 2 ** b) & 1;
      const slot = 2 * node + bit;
      if (b === 0) {
        tree[slot] = -1 - s;
      } else {
        if (tree[slot] === 0) {
          tree[slot] = nodes++;
          tree.push(0, 0);
        }
        node = tree[slot];
      }
    }
  }
})();

/** Decode a Huffman-coded string (RFC 7541 §5.2); null when it is not valid. */
export function huffmanDecode(b: Buffer, off: number, end: number): Buffer | null {
  const out: number[] = [];
  let node = 0;
  let bitsInSymbol = 0;
  let allOnes = true;
  for (let i = off; i < end; i++) {
    const byte = b[i];
    for (let bit = 7; bit >= 0; bit--) {
      const v = (byte >> bit) & 1;
      const next = tree[2 * node + v];
      bitsInSymbol++;
      if (v === 0) allOnes = false;
      if (next < 0) {
        const sym = -1 - next;
        if (sym === EOS) return null; // §5.2: EOS in a string is an error
        out.push(sym);
        node = 0;
        bitsInSymbol = 0;
        allOnes = true;
      } else if (next === 0) {
        return null;
      } else {
        node = next;
      }
    }
  }
  // §5.2: padding is fewer than 8 bits, all ones (a prefix of EOS)
  if (bitsInSymbol > 7 || !allOnes) return null;
  return Buffer.from(out);
}

/** Entry overhead in the table size, RFC 7541 §4.1; RFC 9113 §6.5.2 counts a header list's size the same way. */
export const ENTRY_OVERHEAD = 32;
/** Default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2): the table size limit until the decoder's side says otherwise. */
export const DEFAULT_TABLE_SIZE = 4096;
/**
 * Largest table size limit tcpwatch accepts from a SETTINGS_HEADER_TABLE_SIZE (browsers advertise at
 * most 65536). It bounds the memory of each direction's table and what one indexed byte can expand to.
 */
export const MAX_TABLE_SIZE = 64 * 1024;
/**
 * Most header-list bytes (RFC 9113 §6.5.2: name + value + 32 per field) kept of one header block, as
 * nghttp2's default SETTINGS_MAX_HEADER_LIST_SIZE. Fields beyond are still decoded, so that the
 * dynamic table stays in step, but not kept; the block is marked as cut.
 */
export const MAX_HEADER_LIST_SIZE = 64 * 1024;

/**
 * How a block encoded each header field it kept (RFC 7541 §6), for the details tree: where its
 * representation starts and how long it is (offsets from the block's start), which of the seven
 * representations it is (`HPACK_REPRESENTATIONS`) and the table index it names (0: none).
 */
export class HeaderDetail {
  readonly start: number[] = [];
  readonly length: number[] = [];
  readonly repr: number[] = [];
  readonly index: number[] = [];
}

/** The representations by their code in HeaderDetail.repr, as Wireshark names them. */
export const HPACK_REPRESENTATIONS: readonly string[] = [
  'Indexed Header Field',
  'Literal Header Field with Incremental Indexing - Indexed Name',
  'Literal Header Field with Incremental Indexing - New Name',
  'Literal Header Field without Indexing - Indexed Name',
  'Literal Header Field without Indexing - New Name',
  'Literal Header Field never Indexed - Indexed Name',
  'Literal Header Field never Indexed - New Name',
];

export class HpackDecoder {
  /** Dynamic table, newest first. */
  private readonly dynamic: [string, string][] = [];
  private size = 0;
  private maxSize = DEFAULT_TABLE_SIZE;
  /** The most a dynamic table size update may set (RFC 7541 §6.3, the decoder's SETTINGS_HEADER_TABLE_SIZE). */
  private limit = DEFAULT_TABLE_SIZE;
  /** A block failed to decode: the table is no longer known. */
  broken = false;
  /** Of the last decode: fields and header-list bytes decoded but not kept (0 when nothing was cut). */
  cutFields = 0;
  cutBytes = 0;

  /**
   * The decoder's side announced SETTINGS_HEADER_TABLE_SIZE = `n` (RFC 9113 §6.5.2), taken up to
   * MAX_TABLE_SIZE. The encoder may then send a size update up to it (RFC 7541 §4.2).
   */
  setLimit(n: number): void {
    this.limit = Math.min(n, MAX_TABLE_SIZE);
  }

  get tableLimit(): number {
    return this.limit;
  }

  /**
   * Decode one complete header block; null when it does not decode (the decoder is then broken).
   * At most `maxBytes` of header list (and `maxFields` fields) are kept; what lies beyond is decoded
   * for the table's sake and counted in cutFields / cutBytes. With `detail`, how each kept field was
   * encoded is added to it.
   */
  decode(b: Buffer, off: number, end: number, maxBytes = MAX_HEADER_LIST_SIZE, maxFields = Infinity, detail: HeaderDetail | null = null): [string, string][] | null {
    this.cutFields = 0;
    this.cutBytes = 0;
    if (this.broken) return null;
    const out: [string, string][] = [];
    let room = maxBytes;
    let fieldsRoom = maxFields;
    const pos = { p: off };
    while (pos.p < end) {
      const at = pos.p;
      const first = b[pos.p];
      let name: string, value: string;
      let repr: number, index: number;
      if (first & 0x80) {
        // §6.1 indexed header field
        const idx = readInt(b, pos, end, 7);
        const e = idx < 0 ? null : this.entry(idx);
        if (e === null) return this.fail();
        name = e[0];
        value = e[1];
        repr = 0;
        index = idx;
      } else if ((first & 0xe0) === 0x20) {
        // §6.3 dynamic table size update: beyond the limit is a decoding error
        const size = readInt(b, pos, end, 5);
        if (size < 0 || size > this.limit) return this.fail();
        this.maxSize = size;
        this.evict(0);
        continue;
      } else {
        // §6.2 literal: with incremental indexing (01), without (0000), never indexed (0001)
        const incremental = (first & 0xc0) === 0x40;
        const idx = readInt(b, pos, end, incremental ? 6 : 4);
        if (idx < 0) return this.fail();
        let n: string | null;
        if (idx === 0) n = readString(b, pos, end);
        else n = this.entry(idx)?.[0] ?? null;
        const v = n === null ? null : readString(b, pos, end);
        if (n === null || v === null) return this.fail();
        name = n;
        value = v;
        if (incremental) this.add(name, value);
        // with, without, never indexed; an indexed name (odd codes) or a new one
        repr = (incremental ? 1 : (first & 0xf0) === 0x10 ? 5 : 3) + (idx === 0 ? 1 : 0);
        index = idx;
      }
      // Strings are latin1: one character per octet.
      const fieldSize = name.length + value.length + ENTRY_OVERHEAD;
      if (fieldSize <= room && fieldsRoom > 0 && this.cutFields === 0) {
        out.push([name, value]);
        room -= fieldSize;
        fieldsRoom--;
        if (detail !== null) {
          detail.start.push(at - off);
          detail.length.push(pos.p - at);
          detail.repr.push(repr);
          detail.index.push(index);
        }
      } else {
        this.cutFields++;
        this.cutBytes += fieldSize;
      }
    }
    return out;
  }

  private fail(): null {
    this.broken = true;
    return null;
  }

  private entry(idx: number): readonly [string, string] | null {
    if (idx >= 1 && idx <= STATIC_TABLE.length) return STATIC_TABLE[idx - 1];
    const d = idx - STATIC_TABLE.length - 1;
    return d >= 0 && d < this.dynamic.length ? this.dynamic[d] : null;
  }

  private add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.evict(size);
    if (size <= this.maxSize) {
      this.dynamic.unshift([name, value]);
      this.size += size;
    }
  }

  /** Evict oldest entries until `room` more bytes fit (§4.4). */
  private evict(room: number): void {
    while (this.dynamic.length > 0 && this.size + room > this.maxSize) {
      const [n, v] = this.dynamic.pop()!;
      this.size -= n.length + v.length + ENTRY_OVERHEAD;
    }
  }
}

/** §5.1 integer with an N-bit prefix at pos.p; -1 when truncated or absurdly large. */
function readInt(b: Buffer, pos: { p: number }, end: number, prefixBits: number): number {
  if (pos.p >= end) return -1;
  const max = (1 << prefixBits) - 1;
  let v = b[pos.p++] & max;
  if (v < max) return v;
  let shift = 0;
  for (;;) {
    if (pos.p >= end || shift > 28) return -1;
    const c = b[pos.p++];
    v += (c & 0x7f) * 2 ** shift;
    shift += 7;
    if ((c & 0x80) === 0) return v;
  }
}

/** §5.2 string literal; null when truncated or badly coded. */
function readString(b: Buffer, pos: { p: number }, end: number): string | null {
  if (pos.p >= end) return null;
  const huffman = (b[pos.p] & 0x80) !== 0;
  const len = readInt(b, pos, end, 7);
  if (len < 0 || pos.p + len > end) return null;
  const start = pos.p;
  pos.p += len;
  if (!huffman) return b.toString('latin1', start, start + len);
  const s = huffmanDecode(b, start, start + len);
  return s === null ? null : s.toString('latin1');
}
