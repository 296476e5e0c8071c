// Frames of a live capture kept for reading back (the UI's packet list, details, follow stream)
// within a memory budget. Frames are appended as pcap records (nanosecond variant) to a log whose
// newest part lives in memory chunks and whose oldest part is spilled to a temporary pcap file:
// when the chunks reach the budget, the oldest chunk is written to the file and its memory reused.
// Nothing is dropped and memory does not grow with the capture, except for 8 bytes of index per
// frame. The file is unlinked as soon as it is created (unless asked otherwise), so a crash or a
// kill -9 leaves nothing behind in /tmp.
//
// Headless runs (-T, -w, summaries) keep no frames at all and do not use this.

import * as fs from 'node:fs';
import { createPrivateFile } from './file-writer';
import * as os from 'node:os';
import * as path from 'node:path';
import { CapturedFrame } from './frame';
import { PCAP_GLOBAL_HEADER_LEN, PCAP_RECORD_HEADER_LEN, writePcapFileHeader } from './pcap-format';

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_CHUNK_BYTES = 128 * 1024;
/** Default budget for frames kept in memory while capturing live (--memory-budget). */
export const DEFAULT_MEMORY_BUDGET_MIB = 256;

export interface FrameSpoolOptions {
  /** Bytes of frame data (with 16 bytes of record header each) kept in memory. */
  memoryBudgetBytes: number;
  linkType: number;
  /** Directory for the spill file (os.tmpdir() by default). */
  dir?: string;
  /** Keep the spill file's name in the directory (for inspection with tshark); default false. */
  keepFile?: boolean;
}

interface Chunk {
  buf: Buffer;
  /** Position of buf[0] in the log. */
  start: number;
  used: number;
}

export class FrameSpool {
  readonly linkType: number;
  private readonly chunkBytes: number;
  private readonly maxChunks: number;
  /** Chunks in memory, oldest first; together they hold log positions [memStart, logEnd). */
  private chunks: Chunk[] = [];
  private memStart = 0;
  private logEnd = 0;
  private positions = new Float64Array(1024);
  private frameCount = 0;
  private fd = -1;
  private spillDir: string | null = null;
  /** Path of the spill file while it exists by name (keepFile), else null. */
  spillPath: string | null = null;
  private scratch = Buffer.allocUnsafe(PCAP_RECORD_HEADER_LEN + 65536);
  private readonly dir: string;
  private readonly keepFile: boolean;

  constructor(opts: FrameSpoolOptions) {
    this.linkType = opts.linkType;
    this.dir = opts.dir ?? os.tmpdir();
    this.keepFile = opts.keepFile ?? false;
    this.chunkBytes = Math.max(MIN_CHUNK_BYTES, Math.min(DEFAULT_CHUNK_BYTES, Math.floor(opts.memoryBudgetBytes / 4)));
    this.maxChunks = Math.max(2, Math.floor(opts.memoryBudgetBytes / this.chunkBytes));
  }

  get count(): number {
    return this.frameCount;
  }

  get bytesInMemory(): number {
    return this.logEnd - this.memStart;
  }

  get bytesOnDisk(): number {
    return this.memStart;
  }

  /** Memory held by chunks (what the budget bounds). */
  get chunkMemory(): number {
    return this.chunks.length * this.chunkBytes;
  }

  /** Appends a copy of the frame; returns its index (0-based). */
  append(f: CapturedFrame): number {
    const need = PCAP_RECORD_HEADER_LEN + f.capLen;
    let c = this.chunks.length ? this.chunks[this.chunks.length - 1] : null;
    if (c === null || c.used + need > c.buf.length) c = this.newChunk(need);
    const b = c.buf, u = c.used;
    b.writeUInt32LE(f.tsSec >>> 0, u);
    b.writeUInt32LE(f.tsNsec, u + 4);
    b.writeUInt32LE(f.capLen, u + 8);
    b.writeUInt32LE(f.origLen, u + 12);
    f.buf.copy(b, u + PCAP_RECORD_HEADER_LEN, f.off, f.off + f.capLen);
    c.used = u + need;
    const pos = this.logEnd;
    this.logEnd += need;
    if (this.frameCount === this.positions.length) {
      const grown = new Float64Array(this.positions.length * 2);
      grown.set(this.positions);
      this.positions = grown;
    }
    this.positions[this.frameCount] = pos;
    return this.frameCount++;
  }

  /** Fills FRAME with frame INDEX; its bytes stay valid until the next read or append. */
  read(index: number, f: CapturedFrame): void {
    if (index < 0 || index >= this.frameCount) throw new RangeError(`frame ${index} is not in the spool (${this.frameCount} frames)`);
    const pos = this.positions[index];
    f.linkType = this.linkType;
    f.ifIndex = 0;
    f.fileOffset = -1;
    if (pos >= this.memStart) {
      const chunks = this.chunks;
      let k = chunks.length - 1;
      while (chunks[k].start > pos) k--;
      const c = chunks[k];
      const o = pos - c.start;
      this.fillFrom(f, c.buf, o);
      return;
    }
    this.readFromFile(PCAP_GLOBAL_HEADER_LEN + pos, PCAP_RECORD_HEADER_LEN, 0);
    const capLen = this.scratch.readUInt32LE(8);
    if (this.scratch.length < PCAP_RECORD_HEADER_LEN + capLen) {
      const bigger = Buffer.allocUnsafe(PCAP_RECORD_HEADER_LEN + capLen);
      this.scratch.copy(bigger, 0, 0, PCAP_RECORD_HEADER_LEN);
      this.scratch = bigger;
    }
    this.readFromFile(PCAP_GLOBAL_HEADER_LEN + pos + PCAP_RECORD_HEADER_LEN, capLen, PCAP_RECORD_HEADER_LEN);
    this.fillFrom(f, this.scratch, 0);
  }

  /** Frees memory and removes the spill file. */
  close(): void {
    this.chunks = [];
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    if (this.spillPath !== null) {
      fs.rmSync(this.spillPath, { force: true });
      this.spillPath = null;
    }
    if (this.spillDir !== null) {
      fs.rmSync(this.spillDir, { recursive: true, force: true });
      this.spillDir = null;
    }
  }

  private fillFrom(f: CapturedFrame, b: Buffer, o: number): void {
    f.tsSec = b.readUInt32LE(o);
    f.tsNsec = b.readUInt32LE(o + 4);
    f.capLen = b.readUInt32LE(o + 8);
    f.origLen = b.readUInt32LE(o + 12);
    f.buf = b;
    f.off = o + PCAP_RECORD_HEADER_LEN;
  }

  private readFromFile(filePos: number, len: number, into: number): void {
    let done = 0;
    while (done < len) {
      const n = fs.readSync(this.fd, this.scratch, into + done, len - done, filePos + done);
      if (n === 0) throw new Error('spill file ended early');
      done += n;
    }
  }

  private newChunk(need: number): Chunk {
    let buf: Buffer;
    if (this.chunks.length >= this.maxChunks) {
      const oldest = this.chunks.shift()!;
      this.spill(oldest);
      buf = oldest.buf;
    } else {
      buf = Buffer.allocUnsafe(this.chunkBytes);
    }
    // A record longer than a chunk (a 64 KiB frame with a tiny budget) gets a chunk of its own size.
    if (need > buf.length) buf = Buffer.allocUnsafe(need);
    const c: Chunk = { buf, start: this.logEnd, used: 0 };
    this.chunks.push(c);
    return c;
  }

  private spill(c: Chunk): void {
    if (this.fd < 0) this.openSpillFile();
    let p = 0;
    while (p < c.used) p += fs.writeSync(this.fd, c.buf, p, c.used - p, PCAP_GLOBAL_HEADER_LEN + c.start + p);
    this.memStart = c.start + c.used;
  }

  private openSpillFile(): void {
    this.spillDir = fs.mkdtempSync(path.join(this.dir, 'tcpwatch-spill-'));
    const file = path.join(this.spillDir, 'frames.pcap');
    // Captures hold private traffic: owner-only, as the -w writer does.
    this.fd = createPrivateFile(file);
    const h = Buffer.alloc(PCAP_GLOBAL_HEADER_LEN);
    writePcapFileHeader(h, this.linkType);
    fs.writeSync(this.fd, h, 0, PCAP_GLOBAL_HEADER_LEN, 0);
    if (this.keepFile) {
      this.spillPath = file;
    } else {
      fs.rmSync(file);
      fs.rmdirSync(this.spillDir);
      this.spillDir = null;
    }
  }
}
