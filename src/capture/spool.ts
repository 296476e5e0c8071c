// The spool of a live capture in the UI: a file the capture process (capture-child.ts) appends every
// frame to and the UI reads. It starts with a pcap file header (nanosecond variant), and each record
// is pcap's record header followed by the frame's interface id and link type (2 bytes each), since a
// capture on several -i mixes interfaces, perhaps of different link types; then the frame. The UI creates it, unlinks it at once
// (nothing is left behind after a crash or kill -9) and hands the open file to the capture process.
//
// The UI reads it twice: once as it grows, to index each new frame (`readNew`, up to the length
// the capture process last announced: only whole records lie below it), and again whenever a
// packet is shown, filtered or replayed (`read`, through a cache of 64 KiB blocks bounded by
// --memory-budget). Frames live on disk, not in the UI's memory: what the UI keeps per packet is
// its index row.
//
// Nothing is allocated per read: the cache's blocks are allocated once each and reused when evicted,
// and a frame outside them (the newest, still-growing block; a frame across two blocks) is read into
// one scratch buffer. A replay of a long stream for the details pane reads hundreds of blocks, many
// times a second while the list follows new packets; fresh buffers for those were garbage the
// collector freed only late, and the freed memory stayed with the process. As the FrameStorage
// contract says, bytes are valid until the next read: whoever keeps them longer copies them.

import * as fs from 'node:fs';
import { createPrivateFile } from './file-writer';
import * as os from 'node:os';
import * as path from 'node:path';
import { CapturedFrame } from './frame';
import { PCAP_GLOBAL_HEADER_LEN, PCAP_RECORD_HEADER_LEN, writePcapFileHeader } from './pcap-format';
import type { AppendableFrames, FrameRef } from '../store/frames';

/** The spool's descriptor in the capture process. */
export const SPOOL_FD = 3;
export const SPOOL_HEADER_LEN = PCAP_GLOBAL_HEADER_LEN;
/** Where a record's interface id and link type follow pcap's record header. */
const SPOOL_IF_INDEX = PCAP_RECORD_HEADER_LEN;
const SPOOL_LINK_TYPE = PCAP_RECORD_HEADER_LEN + 2;
export const SPOOL_RECORD_HEADER_LEN = PCAP_RECORD_HEADER_LEN + 4;

/** Writes the record header of frame `f` at `b[at]`; the frame's bytes go right after it. */
export function writeSpoolRecordHeader(b: Buffer, at: number, f: CapturedFrame): void {
  b.writeUInt32LE(f.tsSec >>> 0, at);
  b.writeUInt32LE(f.tsNsec, at + 4);
  b.writeUInt32LE(f.capLen, at + 8);
  b.writeUInt32LE(f.origLen, at + 12);
  b.writeUInt16LE(f.ifIndex, at + SPOOL_IF_INDEX);
  b.writeUInt16LE(f.linkType & 0xffff, at + SPOOL_LINK_TYPE);
}
const BLOCK_BITS = 16;
const BLOCK = 1 << BLOCK_BITS;
/** Bytes read at a time while indexing new frames. */
const TAIL_READ = 1 << 20;
/** Frames indexed between looks at the clock. */
const CLOCK_EVERY = 256;

export function spoolFileHeader(linkType: number): Buffer {
  const h = Buffer.alloc(SPOOL_HEADER_LEN);
  writePcapFileHeader(h, linkType);
  return h;
}

/** Creates the spool file with owner-only access (it holds private traffic) and unlinks it. */
export function createSpoolFile(dir = os.tmpdir()): number {
  const d = fs.mkdtempSync(path.join(dir, 'tcpwatch-spool-'));
  const file = path.join(d, 'frames.pcap');
  const fd = createPrivateFile(file);
  fs.rmSync(file);
  fs.rmdirSync(d);
  return fd;
}

export class SpoolReader implements AppendableFrames {
  /** Bytes announced as whole records by the capture process. */
  private end = SPOOL_HEADER_LEN;
  /** Where the next record to index starts. */
  private pos = SPOOL_HEADER_LEN;
  private tail = Buffer.allocUnsafe(TAIL_READ);
  private readonly frame = new CapturedFrame();
  // Map iteration order is insertion order, which makes it an LRU: a hit re-inserts the block.
  private readonly blocks = new Map<number, Buffer>();
  private readonly maxBlocks: number;
  private scratch = Buffer.allocUnsafe(BLOCK);
  /** Blocks read from the spool for the cache, and frames read outside it (diagnostics, tests). */
  blockReads = 0;
  directReads = 0;
  private fd: number;

  constructor(fd: number, readonly linkType: number, cacheBytes: number) {
    this.fd = fd;
    this.frame.linkType = linkType;
    this.maxBlocks = Math.max(2, Math.floor(cacheBytes / BLOCK));
  }

  /** The capture process has written whole records up to this length. */
  announce(end: number): void {
    if (end > this.end) this.end = end;
  }

  /** Bytes of frame cache held. */
  get cachedBytes(): number {
    let n = 0;
    for (const b of this.blocks.values()) n += b.length;
    return n;
  }

  /**
   * Hands every announced frame not yet seen to `onFrame` (frame.fileOffset is its record's place
   * in the spool), until the deadline (performance.now()); returns whether more are waiting.
   */
  readNew(onFrame: (f: CapturedFrame) => void, deadlineMs: number): boolean {
    const f = this.frame;
    let n = 0;
    while (this.pos < this.end && this.fd >= 0) {
      const want = Math.min(this.tail.length, this.end - this.pos);
      const got = this.readFully(this.tail, 0, want, this.pos);
      let p = 0;
      while (p + SPOOL_RECORD_HEADER_LEN <= got) {
        const capLen = this.tail.readUInt32LE(p + 8);
        if (p + SPOOL_RECORD_HEADER_LEN + capLen > got) break;
        f.tsSec = this.tail.readUInt32LE(p);
        f.tsNsec = this.tail.readUInt32LE(p + 4);
        f.capLen = capLen;
        f.origLen = this.tail.readUInt32LE(p + 12);
        f.ifIndex = this.tail.readUInt16LE(p + SPOOL_IF_INDEX);
        f.linkType = this.tail.readUInt16LE(p + SPOOL_LINK_TYPE);
        f.buf = this.tail;
        f.off = p + SPOOL_RECORD_HEADER_LEN;
        f.fileOffset = this.pos + p;
        p += SPOOL_RECORD_HEADER_LEN + capLen;
        onFrame(f);
        if ((++n & (CLOCK_EVERY - 1)) === 0 && performance.now() > deadlineMs) {
          this.pos += p;
          return this.pos < this.end;
        }
      }
      if (p === 0) {
        // A record longer than the read buffer (frames reach 64 KiB and more): a bigger buffer.
        if (got < want || want === this.end - this.pos) return false;
        this.tail = Buffer.allocUnsafe(this.tail.length * 2);
        continue;
      }
      this.pos += p;
    }
    return false;
  }

  appendFrame(f: CapturedFrame): number {
    return f.fileOffset + SPOOL_RECORD_HEADER_LEN;
  }

  read(dataOff: number, capLen: number, out: FrameRef): boolean {
    if (this.fd < 0 || dataOff + capLen > this.end) return false;
    const first = Math.floor(dataOff / BLOCK);
    const inBlock = dataOff - first * BLOCK;
    // Only blocks the capture process has finished are cached; the newest one is read each time.
    if (inBlock + capLen <= BLOCK && (first + 1) * BLOCK <= this.end) {
      const b = this.block(first);
      if (b === null) return false;
      out.buf = b;
      out.off = inBlock;
      return true;
    }
    if (this.scratch.length < capLen) this.scratch = Buffer.allocUnsafe(capLen);
    this.directReads++;
    if (this.readFully(this.scratch, 0, capLen, dataOff) < capLen) return false;
    out.buf = this.scratch;
    out.off = 0;
    return true;
  }

  /** Block `no` (complete in the spool) from the cache, read into the least recently used one if need be. */
  private block(no: number): Buffer | null {
    let b = this.blocks.get(no);
    if (b !== undefined) {
      this.blocks.delete(no);
      this.blocks.set(no, b);
      return b;
    }
    if (this.blocks.size >= this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number;
      b = this.blocks.get(oldest)!;
      this.blocks.delete(oldest);
    } else {
      b = Buffer.allocUnsafe(BLOCK);
    }
    this.blockReads++;
    if (this.readFully(b, 0, BLOCK, no * BLOCK) < BLOCK) return null;
    this.blocks.set(no, b);
    return b;
  }

  private readFully(b: Buffer, off: number, len: number, pos: number): number {
    let got = 0;
    while (got < len) {
      const n = fs.readSync(this.fd, b, off + got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.blocks.clear();
  }
}
