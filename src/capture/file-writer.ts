// Writers for `-w`: pcap (nanosecond variant, so no precision is lost) and pcapng (one interface
// description per link type and interface seen, nanosecond resolution). Output is buffered and
// written with synchronous writes so that what `flush()` returned for is on disk; files are
// created with mode 0600 because captures hold private traffic, and never through a symbolic link:
// in a shared directory (/tmp) anyone can plant `capture.pcap -> ~/.bashrc` for root to write.
//
// A write that fails (disk full, I/O error) cuts the file back to its last whole packet, so what is
// on disk stays readable, and every later flush or close reports the same CaptureWriteError rather
// than writing a torn record after space is freed.

import * as fs from 'node:fs';
import { CapturedFrame } from './frame';
import { UsageError } from '../errors';
import { BT_SHB, BT_IDB, BT_EPB, BT_DSB, SECRETS_TYPE_TLS_KEYLOG } from './file-reader';
import { MAXIMUM_SNAPLEN, PCAP_GLOBAL_HEADER_LEN, writePcapFileHeader } from './pcap-format';

const FLUSH_AT = 1 << 20;
// pcapng IDB options (draft-ietf-opsawg-pcapng §4.2): if_name and if_tsresol.
const IF_NAME = 2;
const IF_TSRESOL = 9;
const NSEC_RESOLUTION = 9;

export interface CaptureWriter {
  write(frame: CapturedFrame): void;
  /** Add a TLS key log (pcapng only; pcap has no place for it and ignores it). */
  writeSecrets?(keylog: Buffer): void;
  flush(): void;
  close(): void;
  readonly framesWritten: number;
}

/** Writing a -w file failed; the file holds its first `framesInFile` packets, each whole. */
export class CaptureWriteError extends Error {
  constructor(readonly path: string, readonly code: string, readonly framesInFile: number, cause: Error) {
    super(`${path}: cannot write (${code}: ${errnoText(cause)})`);
  }
}

function errnoText(e: Error): string {
  // Node's message is "ENOSPC: no space left on device, write"; keep the words in the middle.
  const m = /^[A-Z0-9_]+: (.*?)(, \w+)?$/.exec(e.message);
  return m ? m[1] : e.message;
}

const { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_EXCL, O_NOFOLLOW } = fs.constants;

/** Open (create or truncate) a -w file; a symbolic link at `path` fails with ELOOP instead of being followed. */
export function openCaptureFileFd(path: string): number {
  return fs.openSync(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600);
}

/**
 * Create a new private file for tcpwatch's own use (the spool, spill and ring files): created by
 * this call or not at all (O_EXCL: never an existing file, never through a link), owner-only.
 */
export function createPrivateFile(path: string): number {
  return fs.openSync(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
}

/** -F's value as a format, or undefined (then the file name decides). */
export function formatNamed(name: string | undefined): 'pcap' | 'pcapng' | undefined {
  return name === 'pcap' || name === 'pcapng' ? name : undefined;
}

export function formatForPath(path: string): 'pcap' | 'pcapng' {
  return /\.pcapng$|\.ntar$/i.test(path) ? 'pcapng' : 'pcap';
}

/** An interface a capture declares up front (several -i): its link type and name, in -i order. */
export interface DeclaredInterface {
  linkType: number;
  name: string;
}

/** pcap has one link type and no interface ids: several interfaces need pcapng. */
function checkFormatHolds(path: string, format: string, interfaces: DeclaredInterface[] | undefined): void {
  if (interfaces !== undefined && interfaces.length > 1 && format !== 'pcapng') {
    throw new UsageError(`${path}: a capture on several interfaces is written as pcapng (one interface description each): name the file .pcapng or add -F pcapng`);
  }
}

export function openCaptureWriter(path: string, linkType: number, format = formatForPath(path), interfaces?: DeclaredInterface[]): CaptureWriter {
  checkFormatHolds(path, format, interfaces);
  if (format !== 'pcapng') return new PcapWriter(path, linkType);
  const w = new PcapngWriter(path);
  if (interfaces !== undefined) w.declareInterfaces(interfaces);
  return w;
}

/**
 * The -w file, opened with its header written at once: a path that cannot be created or a device
 * that takes nothing (/dev/full) is one line for the user before anything is captured.
 */
export function openOutputFile(path: string, linkType: number, format = formatForPath(path), interfaces?: DeclaredInterface[]): CaptureWriter {
  let writer: CaptureWriter | null = null;
  checkFormatHolds(path, format, interfaces);
  try {
    writer = openCaptureWriter(path, linkType, format, interfaces);
    writer.flush();
    return writer;
  } catch (e) {
    writer?.close();
    throw writeErrorForUser(path, e);
  }
}

/** An error writing the -w file as the one line tcpwatch prints. */
export function writeErrorForUser(path: string, e: unknown): UsageError {
  if (e instanceof CaptureWriteError) return new UsageError(e.message);
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ELOOP') return new UsageError(`${path}: is a symbolic link; tcpwatch does not write a capture through a link (name the file itself, or -w - for standard output)`);
  return new UsageError(`${path}: cannot write (${err.code ?? err.message})`);
}

abstract class BufferedFileWriter {
  /** Frames handed to write(); after a failed write, the frames the file holds. */
  framesWritten = 0;
  protected fd: number;
  protected out = Buffer.allocUnsafe(FLUSH_AT + 65536);
  protected used = 0;
  /** Where the first record of `out` starts (after a file header still waiting in it). */
  protected recordsFrom = 0;
  private fileBytes = 0;
  private framesFlushed = 0;
  private failure: CaptureWriteError | null = null;

  constructor(readonly path: string) {
    this.fd = path === '-' ? 1 : openCaptureFileFd(path);
  }

  /** Length of the record (pcap record, pcapng block) at `out[o]`, and whether it holds a packet. */
  protected abstract recordAt(o: number): { len: number; frame: boolean };

  protected reserve(n: number): void {
    if (this.used + n > this.out.length) {
      this.flush();
      if (n > this.out.length) this.out = Buffer.allocUnsafe(n);
    }
  }

  flush(): void {
    if (this.failure !== null) throw this.failure;
    let p = 0;
    try {
      while (p < this.used) p += fs.writeSync(this.fd, this.out, p, this.used - p);
    } catch (e) {
      throw this.fail(e as NodeJS.ErrnoException, p);
    }
    this.fileBytes += this.used;
    this.framesFlushed = this.framesWritten;
    this.used = 0;
    this.recordsFrom = 0;
  }

  /** After P bytes of `out` reached the file: cut it back to the last whole record and remember why. */
  private fail(e: NodeJS.ErrnoException, p: number): CaptureWriteError {
    let keep = 0;
    let frames = 0;
    if (p >= this.recordsFrom) {
      keep = this.recordsFrom;
      while (keep < this.used) {
        const r = this.recordAt(keep);
        if (keep + r.len > p) break;
        keep += r.len;
        if (r.frame) frames++;
      }
    }
    try {
      if (keep < p) fs.ftruncateSync(this.fd, this.fileBytes + keep);
    } catch {
      // standard output (a pipe) cannot be cut back; what reached it stays
    }
    this.framesWritten = this.framesFlushed + frames;
    this.used = 0;
    this.failure = new CaptureWriteError(this.path, e.code ?? 'EIO', this.framesWritten, e);
    return this.failure;
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      if (this.failure === null) this.flush();
    } finally {
      if (this.fd !== 1) fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  protected maybeFlush(): void {
    if (this.used >= FLUSH_AT) this.flush();
  }
}

export class PcapWriter extends BufferedFileWriter implements CaptureWriter {
  constructor(path: string, readonly linkType: number) {
    super(path);
    writePcapFileHeader(this.out, linkType);
    this.used = PCAP_GLOBAL_HEADER_LEN;
    this.recordsFrom = PCAP_GLOBAL_HEADER_LEN;
  }

  protected recordAt(o: number): { len: number; frame: boolean } {
    return { len: 16 + this.out.readUInt32LE(o + 8), frame: true };
  }

  write(f: CapturedFrame): void {
    if (f.linkType !== this.linkType) {
      throw new Error(`${this.path}: a pcap file holds one link type (${this.linkType}); this frame has ${f.linkType} — write pcapng instead`);
    }
    if (f.tsSec > 0xffffffff || f.tsSec < 0) {
      throw new Error(`${this.path}: frame time ${f.tsSec} s is outside what pcap's 32-bit seconds can hold (after 2106) — write pcapng instead`);
    }
    this.reserve(16 + f.capLen);
    const o = this.out, u = this.used;
    o.writeUInt32LE(f.tsSec, u);
    o.writeUInt32LE(f.tsNsec, u + 4);
    o.writeUInt32LE(f.capLen, u + 8);
    o.writeUInt32LE(f.origLen, u + 12);
    f.buf.copy(o, u + 16, f.off, f.off + f.capLen);
    this.used = u + 16 + f.capLen;
    this.framesWritten++;
    this.maybeFlush();
  }
}

export class PcapngWriter extends BufferedFileWriter implements CaptureWriter {
  /** Interface ids by (source ifIndex, linkType). */
  private ifaceIds = new Map<number, number>();
  private nextIface = 0;

  constructor(path: string) {
    super(path);
    const o = this.out;
    const len = 28;
    o.writeUInt32LE(BT_SHB, 0);
    o.writeUInt32LE(len, 4);
    o.writeUInt32LE(0x1a2b3c4d, 8);
    o.writeUInt16LE(1, 12);
    o.writeUInt16LE(0, 14);
    o.writeInt32LE(-1, 16); // section length unknown
    o.writeInt32LE(-1, 20);
    o.writeUInt32LE(len, 24);
    this.used = len;
  }

  protected recordAt(o: number): { len: number; frame: boolean } {
    return { len: this.out.readUInt32LE(o + 4), frame: this.out.readUInt32LE(o) === BT_EPB };
  }

  /**
   * Interfaces known before the first packet (a capture on several -i): one Interface Description
   * Block each, in -i order, with its name (if_name), so that interface id N is the N-th -i.
   */
  declareInterfaces(list: DeclaredInterface[]): void {
    list.forEach((iface, i) => {
      const key = i * 65536 + iface.linkType;
      if (this.ifaceIds.has(key)) return;
      this.ifaceIds.set(key, this.nextIface++);
      this.writeIdb(iface.linkType, iface.name);
    });
  }

  private interfaceFor(f: CapturedFrame): number {
    const key = f.ifIndex * 65536 + f.linkType;
    let id = this.ifaceIds.get(key);
    if (id !== undefined) return id;
    id = this.nextIface++;
    this.ifaceIds.set(key, id);
    this.writeIdb(f.linkType, null);
    return id;
  }

  private writeIdb(linkType: number, name: string | null): void {
    const nameBytes = name === null ? null : Buffer.from(name, 'utf8');
    const nameOpt = nameBytes === null ? 0 : 4 + ((nameBytes.length + 3) & ~3);
    const len = 20 + 8 + nameOpt + 4; // body, if_tsresol option (4 + 1 padded to 4), if_name, opt_endofopt
    this.reserve(len);
    const o = this.out, u = this.used;
    o.writeUInt32LE(BT_IDB, u);
    o.writeUInt32LE(len, u + 4);
    o.writeUInt16LE(linkType, u + 8);
    o.writeUInt16LE(0, u + 10);
    o.writeUInt32LE(MAXIMUM_SNAPLEN, u + 12);
    o.writeUInt16LE(IF_TSRESOL, u + 16);
    o.writeUInt16LE(1, u + 18);
    o.writeUInt32LE(NSEC_RESOLUTION, u + 20); // value byte then 3 bytes of padding
    let p = u + 24;
    if (nameBytes !== null) {
      o.writeUInt16LE(IF_NAME, p);
      o.writeUInt16LE(nameBytes.length, p + 2);
      nameBytes.copy(o, p + 4);
      o.fill(0, p + 4 + nameBytes.length, p + nameOpt);
      p += nameOpt;
    }
    o.writeUInt32LE(0, p); // opt_endofopt
    o.writeUInt32LE(len, p + 4);
    this.used = u + len;
  }

  write(f: CapturedFrame): void {
    const ifId = this.interfaceFor(f);
    const padded = (f.capLen + 3) & ~3;
    const len = 32 + padded;
    this.reserve(len);
    const o = this.out, u = this.used;
    const hi = splitNanosHigh(f.tsSec, f.tsNsec);
    const lo = splitLow;
    o.writeUInt32LE(BT_EPB, u);
    o.writeUInt32LE(len, u + 4);
    o.writeUInt32LE(ifId, u + 8);
    o.writeUInt32LE(hi >>> 0, u + 12);
    o.writeUInt32LE(lo >>> 0, u + 16);
    o.writeUInt32LE(f.capLen, u + 20);
    o.writeUInt32LE(f.origLen, u + 24);
    f.buf.copy(o, u + 28, f.off, f.off + f.capLen);
    o.fill(0, u + 28 + f.capLen, u + 28 + padded);
    o.writeUInt32LE(len, u + 28 + padded);
    this.used = u + len;
    this.framesWritten++;
    this.maybeFlush();
  }

  writeSecrets(keylog: Buffer): void {
    const padded = (keylog.length + 3) & ~3;
    const len = 20 + padded;
    this.reserve(len);
    const o = this.out, u = this.used;
    o.writeUInt32LE(BT_DSB, u);
    o.writeUInt32LE(len, u + 4);
    o.writeUInt32LE(SECRETS_TYPE_TLS_KEYLOG, u + 8);
    o.writeUInt32LE(keylog.length, u + 12);
    keylog.copy(o, u + 16);
    o.fill(0, u + 16 + keylog.length, u + 16 + padded);
    o.writeUInt32LE(len, u + 16 + padded);
    this.used = u + len;
  }
}

// Result of the last splitNanosHigh call: the low 32 bits.
let splitLow = 0;

/**
 * tsSec * 1e9 + tsNsec as a 64-bit (hi, lo) pair without BigInt. Every product below stays under
 * 2^53: tsSec is split into 16-bit halves so that each part times 1e9 is exact.
 */
export function splitNanosHigh(tsSec: number, tsNsec: number): number {
  const sh = Math.floor(tsSec / 65536), sl = tsSec - sh * 65536;
  const a = sh * 1e9; // contributes a * 2^16
  const b = sl * 1e9 + tsNsec;
  let hi = Math.floor(a / 65536) + Math.floor(b / 4294967296);
  let lo = (a % 65536) * 65536 + (b % 4294967296);
  if (lo >= 4294967296) {
    lo -= 4294967296;
    hi += 1;
  }
  splitLow = lo;
  return hi;
}
