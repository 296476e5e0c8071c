// Per-stream tables of the packet index: each TCP stream's verdict, mirrored from the analysis stage
// (src/reports/verdict.ts), and what TLS told about the stream. A capture of a million packets
// has tens of thousands of streams, so these are numbers in blocks of 4096 streams that are never
// moved or copied: the tables grow without leaving outgrown arrays behind (an array grown by
// doubling holds up to twice what it needs and leaves as much again to the collector), and the
// strings TLS names (server names, versions) are stored once and referred to by number.

import { NOT_MEASURED, StreamVerdictRow, Verdict, VERDICT_ROW_WIDTH, verdictLabel, verdictRowAt } from '../reports/verdict';

const BLOCK_BITS = 12;
const BLOCK = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK - 1;

/** One block of verdict rows: 56 bytes a stream in one buffer. */
class VerdictBlock {
  readonly bytesC: Float64Array;
  readonly bytesS: Float64Array;
  readonly protectedRecords: Uint32Array;
  readonly decryptedRecords: Uint32Array;
  readonly noKeyRecords: Uint32Array;
  /** At most MEASURE_LIMIT bytes a direction are measured, so 32 bits hold them. */
  readonly measuredC: Uint32Array;
  readonly measuredS: Uint32Array;
  readonly entropyC: Float32Array;
  readonly entropyS: Float32Array;
  readonly entropyAll: Float32Array;
  readonly textShare: Float32Array;
  readonly version: Uint16Array;
  readonly verdict: Uint8Array;
  readonly isTls: Uint8Array;
  /** The registered protocol the stream carries (HTTP, DNS, SSH …), 0 for none. */
  readonly app: Uint8Array;

  constructor() {
    const buf = new ArrayBuffer(BLOCK * 57);
    let p = 0;
    const at = (bytes: number): number => {
      const o = p;
      p += bytes * BLOCK;
      return o;
    };
    this.bytesC = new Float64Array(buf, at(8), BLOCK);
    this.bytesS = new Float64Array(buf, at(8), BLOCK);
    this.protectedRecords = new Uint32Array(buf, at(4), BLOCK);
    this.decryptedRecords = new Uint32Array(buf, at(4), BLOCK);
    this.noKeyRecords = new Uint32Array(buf, at(4), BLOCK);
    this.measuredC = new Uint32Array(buf, at(4), BLOCK);
    this.measuredS = new Uint32Array(buf, at(4), BLOCK);
    this.entropyC = new Float32Array(buf, at(4), BLOCK).fill(NOT_MEASURED);
    this.entropyS = new Float32Array(buf, at(4), BLOCK).fill(NOT_MEASURED);
    this.entropyAll = new Float32Array(buf, at(4), BLOCK).fill(NOT_MEASURED);
    this.textShare = new Float32Array(buf, at(4), BLOCK);
    this.version = new Uint16Array(buf, at(2), BLOCK);
    this.verdict = new Uint8Array(buf, at(1), BLOCK);
    this.isTls = new Uint8Array(buf, at(1), BLOCK);
    this.app = new Uint8Array(buf, at(1), BLOCK);
  }
}

/** Every stream of a block without rows reads from this one: no payload, not measured. It is never written. */
const NO_BLOCK = new VerdictBlock();

/**
 * The verdict of every stream as the index keeps it: rows made by StreamVerdicts.flat (in the
 * indexing process or on this thread) applied in batches. A stream below `count` without a row of
 * its own reads as StreamVerdicts does: no payload, not measured.
 */
export class StreamVerdictTable {
  /** Streams with a row (the highest stream id + 1). */
  count = 0;
  private readonly blocks: VerdictBlock[] = [];

  has(stream: number): boolean {
    return stream >= 0 && stream < this.count;
  }

  /**
   * The block of `stream`, made for it. The blocks of streams below it that have no row yet are
   * NO_BLOCK (read as no payload, not measured): a flood of connections that never carry data
   * costs the UI no verdict rows.
   */
  private block(stream: number): VerdictBlock {
    const bi = stream >>> BLOCK_BITS;
    while (this.blocks.length <= bi) this.blocks.push(NO_BLOCK);
    if (this.blocks[bi] === NO_BLOCK) this.blocks[bi] = new VerdictBlock();
    return this.blocks[bi];
  }

  /** The block to read `stream` from (NO_BLOCK when none was made for it). */
  private readBlock(stream: number): VerdictBlock {
    return this.blocks[stream >>> BLOCK_BITS] ?? NO_BLOCK;
  }

  /** Take rows made by StreamVerdicts.flat. */
  apply(rows: ArrayLike<number>): void {
    for (let k = 0; k + VERDICT_ROW_WIDTH <= rows.length; k += VERDICT_ROW_WIDTH) {
      const s = rows[k];
      if (!Number.isInteger(s) || s < 0) continue;
      const b = this.block(s), j = s & BLOCK_MASK;
      if (s >= this.count) this.count = s + 1;
      b.verdict[j] = rows[k + 1];
      b.version[j] = rows[k + 2] & 0xffff;
      b.isTls[j] = (rows[k + 2] >>> 16) & 1;
      b.app[j] = (rows[k + 2] >>> 17) & 0xff;
      b.protectedRecords[j] = rows[k + 3];
      b.decryptedRecords[j] = rows[k + 4];
      b.noKeyRecords[j] = rows[k + 5];
      b.bytesC[j] = rows[k + 6];
      b.bytesS[j] = rows[k + 7];
      b.measuredC[j] = rows[k + 8];
      b.measuredS[j] = rows[k + 9];
      b.entropyC[j] = rows[k + 10];
      b.entropyS[j] = rows[k + 11];
      b.entropyAll[j] = rows[k + 12];
      b.textShare[j] = rows[k + 13];
    }
  }

  /** Entropy of both directions together (bits per byte), NOT_MEASURED when none was measured or the stream has no row. */
  entropyAll(stream: number): number {
    if (!this.has(stream)) return NOT_MEASURED;
    return this.readBlock(stream).entropyAll[stream & BLOCK_MASK];
  }

  /** A number that is the same for two streams exactly when their labels are. */
  labelKey(stream: number): number {
    if (!this.has(stream)) return -1;
    const b = this.readBlock(stream), j = stream & BLOCK_MASK;
    return (b.verdict[j] << 17) | (b.isTls[j] << 16) | b.version[j];
  }

  /** "decrypted (TLS 1.3)", "plaintext", "opaque"; '' for a stream without a row. */
  label(stream: number): string {
    if (!this.has(stream)) return '';
    const b = this.readBlock(stream), j = stream & BLOCK_MASK;
    return verdictLabel(b.verdict[j] as Verdict, b.isTls[j] !== 0, b.version[j]);
  }

  row(stream: number): StreamVerdictRow | null {
    return this.has(stream) ? verdictRowAt(this.readBlock(stream), stream & BLOCK_MASK, stream) : null;
  }
}

/** What TLS told about a TCP stream: the server name a Client Hello asked for and the version agreed. */
export interface TlsStreamInfo {
  sni: string;
  version: string;
}

/**
 * TlsStreamInfo per stream, for the streams TLS told something about: two string numbers a stream
 * (8 bytes) instead of an object and its strings. Reads like a Map of stream to TlsStreamInfo.
 */
export class TlsStreamTable {
  /** Streams with an entry. */
  size = 0;
  /** Per stream: number of the server name, and of the version plus one (0: no entry). */
  private readonly blocks: Uint32Array[] = [];
  private readonly strings: string[] = [''];
  private readonly ids = new Map<string, number>([['', 0]]);

  private stringId(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** Strings numbered so far (0 is ''); the writer sends new ones to the reader in this order. */
  get stringCount(): number {
    return this.strings.length;
  }

  stringsFrom(from: number): string[] {
    return this.strings.slice(from);
  }

  /** Reader side: the writer's strings numbered from `from` on (ones already known are skipped). */
  addStrings(from: number, names: readonly string[]): void {
    for (let k = 0; k < names.length; k++) {
      if (from + k !== this.strings.length || typeof names[k] !== 'string') continue;
      this.ids.set(names[k], this.strings.length);
      this.strings.push(names[k]);
    }
  }

  /** The entry as numbers: server name string, version string plus one (0: no entry). */
  sniIdOf(stream: number): number {
    const b = stream >= 0 ? this.blocks[stream >>> BLOCK_BITS] : undefined;
    return b === undefined ? 0 : b[(stream & BLOCK_MASK) * 2];
  }

  versionSlotOf(stream: number): number {
    const b = stream >= 0 ? this.blocks[stream >>> BLOCK_BITS] : undefined;
    return b === undefined ? 0 : b[(stream & BLOCK_MASK) * 2 + 1];
  }

  /** Reader side: an entry by the writer's string numbers. */
  setIds(stream: number, sniId: number, versionSlot: number): void {
    if (!Number.isInteger(stream) || stream < 0 || versionSlot === 0) return;
    if (sniId >= this.strings.length || versionSlot > this.strings.length) return;
    const bi = stream >>> BLOCK_BITS;
    while (this.blocks.length <= bi) this.blocks.push(new Uint32Array(BLOCK * 2));
    const b = this.blocks[bi], j = (stream & BLOCK_MASK) * 2;
    if (b[j + 1] === 0) this.size++;
    b[j] = sniId;
    b[j + 1] = versionSlot;
  }

  get(stream: number): TlsStreamInfo | undefined {
    const b = stream >= 0 ? this.blocks[stream >>> BLOCK_BITS] : undefined;
    if (b === undefined) return undefined;
    const j = (stream & BLOCK_MASK) * 2;
    if (b[j + 1] === 0) return undefined;
    return { sni: this.strings[b[j]], version: this.strings[b[j + 1] - 1] };
  }

  set(stream: number, info: TlsStreamInfo): void {
    if (!Number.isInteger(stream) || stream < 0) return;
    const bi = stream >>> BLOCK_BITS;
    while (this.blocks.length <= bi) this.blocks.push(new Uint32Array(BLOCK * 2));
    const b = this.blocks[bi], j = (stream & BLOCK_MASK) * 2;
    if (b[j + 1] === 0) this.size++;
    b[j] = this.stringId(info.sni);
    b[j + 1] = this.stringId(info.version) + 1;
  }

  /** The entries in stream order. */
  *values(): IterableIterator<TlsStreamInfo> {
    for (let bi = 0; bi < this.blocks.length; bi++) {
      const b = this.blocks[bi];
      for (let j = 0; j < BLOCK; j++) {
        if (b[2 * j + 1] !== 0) yield { sni: this.strings[b[2 * j]], version: this.strings[b[2 * j + 1] - 1] };
      }
    }
  }
}
