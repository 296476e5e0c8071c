// Where the bytes of indexed frames live. For a capture file they stay in the file, as Wireshark
// leaves them: a frame is read back with one positioned read through a small block cache, so memory
// does not grow with the file. Live capture and standard input cannot be read back, so their frames
// are copied into large chunks as they arrive.

import * as fs from 'node:fs';
import { CapturedFrame } from '../capture/frame';

/** Where a frame's bytes were found: buf[off, off + capLen). Valid until the next read. */
export class FrameRef {
  buf: Buffer = Buffer.alloc(0);
  off = 0;
}

export interface FrameStorage {
  /** Make the capLen bytes stored at dataOff available in `out`; false when they cannot be read. */
  read(dataOff: number, capLen: number, out: FrameRef): boolean;
  close(): void;
}

/** Storage that keeps a copy of each frame handed to it (live capture); returns where it is. */
export interface AppendableFrames extends FrameStorage {
  appendFrame(f: CapturedFrame): number;
}

const BLOCK_BITS = 16;
const BLOCK = 1 << BLOCK_BITS;
/** 256 blocks of 64 KiB: 16 MiB, the bound on frame bytes held for a file. */
const MAX_BLOCKS = 256;

export class FileFrames implements FrameStorage {
  private fd: number;
  // Map iteration order is insertion order, which makes it an LRU: a hit re-inserts the block.
  private readonly blocks = new Map<number, Buffer>();
  reads = 0;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'r');
  }

  /** Bytes of file cache currently held. */
  get cachedBytes(): number {
    return this.blocks.size * BLOCK;
  }

  private block(no: number): Buffer {
    let b = this.blocks.get(no);
    if (b !== undefined) {
      this.blocks.delete(no);
      this.blocks.set(no, b);
      return b;
    }
    // A new buffer per block (not a recycled one): a decoded packet on screen may still refer to an evicted block.
    b = Buffer.allocUnsafe(BLOCK);
    const got = this.readFully(b, 0, BLOCK, no * BLOCK);
    if (got < BLOCK) b = b.subarray(0, got);
    this.blocks.set(no, b);
    if (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
    return b;
  }

  private readFully(b: Buffer, off: number, len: number, pos: number): number {
    let got = 0;
    while (got < len) {
      const n = fs.readSync(this.fd, b, off + got, len - got, pos + got);
      this.reads++;
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  read(dataOff: number, capLen: number, out: FrameRef): boolean {
    if (this.fd < 0) return false;
    const first = Math.floor(dataOff / BLOCK);
    const inBlock = dataOff - first * BLOCK;
    if (inBlock + capLen <= BLOCK) {
      const b = this.block(first);
      if (inBlock + capLen > b.length) return false;
      out.buf = b;
      out.off = inBlock;
      return true;
    }
    // Frames that cross a block boundary (or are larger than one) get a buffer of their own.
    const b = Buffer.allocUnsafe(capLen);
    if (this.readFully(b, 0, capLen, dataOff) < capLen) return false;
    out.buf = b;
    out.off = 0;
    return true;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.blocks.clear();
  }
}

const MEM_CHUNK_BITS = 22;
const MEM_CHUNK = 1 << MEM_CHUNK_BITS; // 4 MiB

/** Frames copied into 4 MiB chunks; dataOff = chunk number × 4 MiB + offset in the chunk. */
export class MemoryFrames implements AppendableFrames {
  private readonly chunks: Buffer[] = [];
  private used = MEM_CHUNK;
  bytes = 0;

  append(buf: Buffer, off: number, capLen: number): number {
    if (this.used + capLen > MEM_CHUNK || this.chunks.length === 0) {
      this.chunks.push(Buffer.allocUnsafe(Math.max(MEM_CHUNK, capLen)));
      this.used = 0;
    }
    const ci = this.chunks.length - 1;
    const at = this.used;
    buf.copy(this.chunks[ci], at, off, off + capLen);
    // A frame larger than a chunk fills its own; the next frame starts a new chunk.
    this.used = capLen > MEM_CHUNK ? MEM_CHUNK : at + capLen;
    this.bytes += capLen;
    return ci * MEM_CHUNK + at;
  }

  appendFrame(f: CapturedFrame): number {
    return this.append(f.buf, f.off, f.capLen);
  }

  read(dataOff: number, capLen: number, out: FrameRef): boolean {
    const ci = Math.floor(dataOff / MEM_CHUNK);
    const c = this.chunks[ci];
    const at = dataOff - ci * MEM_CHUNK;
    if (c === undefined || at + capLen > c.length) return false;
    out.buf = c;
    out.off = at;
    return true;
  }

  close(): void {
    this.chunks.length = 0;
  }
}

/**
 * Live frames in the capture module's spool (src/capture/spill.ts): the newest in memory, the oldest
 * spilled to an unlinked temporary file, within --memory-budget. dataOff is the spool's frame number.
 */
export interface FrameSpoolLike {
  readonly count: number;
  append(f: CapturedFrame): number;
  read(index: number, f: CapturedFrame): void;
  close(): void;
}

export class SpoolFrames implements AppendableFrames {
  private readonly frame = new CapturedFrame();

  constructor(readonly spool: FrameSpoolLike) {}

  appendFrame(f: CapturedFrame): number {
    return this.spool.append(f);
  }

  read(dataOff: number, capLen: number, out: FrameRef): boolean {
    if (dataOff < 0 || dataOff >= this.spool.count) return false;
    this.spool.read(dataOff, this.frame);
    if (this.frame.capLen < capLen) return false;
    out.buf = this.frame.buf;
    out.off = this.frame.off;
    return true;
  }

  close(): void {
    this.spool.close();
  }
}
