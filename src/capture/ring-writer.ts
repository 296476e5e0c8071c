// Long captures as dumpcap makes them: `-b` switches the -w file to a new one after a size or a
// time (a ring buffer once `-b files:N` bounds how many are kept, the oldest deleted), and `-a`
// stops the capture after a time, a size, a number of packets or of files. Files are named as
// dumpcap names them, PREFIX_NNNNN_YYYYmmddHHMMSS.SUFFIX from `-w PREFIX.SUFFIX` (the number counts
// from 00001 for the whole capture, the time is local, when the file was opened), so that tools and
// scripts made for dumpcap's rings find tcpwatch's, and they sort by name in capture order.
//
// Switching happens between two packets, never inside one: each file is complete on its own and
// readable by tshark, and `-r 'PREFIX_*.SUFFIX'` reads the set back as one capture.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CapturedFrame } from './frame';
import { CaptureWriter, openOutputFile, formatForPath, DeclaredInterface } from './file-writer';
import { UsageError } from '../errors';

/** How often a capture with -b duration looks at the clock between packets (tick()). */
export const RING_TICK_MS = 100;
/** dumpcap's kB in -b filesize and -a filesize: 1000 bytes. */
const KB = 1000;

export interface RingOptions {
  /** -b filesize:KB, in bytes. */
  fileSize?: number;
  /** -b duration:S, in ms. */
  duration?: number;
  /** -b files:N: how many files are kept. */
  files?: number;
  /** -b packets:N: packets per file. */
  packets?: number;
}

export interface AutostopOptions {
  /** -a duration:S, in ms. */
  duration?: number;
  /** -a filesize:KB, in bytes: stop once the current file reaches it. */
  fileSize?: number;
  /** -a packets:N. */
  packets?: number;
  /** -a files:N: stop once N files are complete (with -b). */
  files?: number;
}

function positive(flag: string, spec: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`invalid ${flag} ${spec}: expected a positive whole number after the colon`);
  }
  return Number(value);
}

/** The -b specs, each KEY:VALUE as dumpcap takes them. */
export function parseRingOptions(specs: string[]): RingOptions | null {
  if (specs.length === 0) return null;
  const o: RingOptions = {};
  for (const spec of specs) {
    const [key, value = ''] = spec.split(':', 2);
    if (key === 'filesize') o.fileSize = positive('-b', spec, value) * KB;
    else if (key === 'duration') o.duration = positive('-b', spec, value) * 1000;
    else if (key === 'files') o.files = positive('-b', spec, value);
    else if (key === 'packets') o.packets = positive('-b', spec, value);
    else throw new UsageError(`invalid -b ${spec}: tcpwatch takes -b filesize:KB, -b duration:SECONDS, -b packets:N and -b files:N`);
  }
  if (o.fileSize === undefined && o.duration === undefined && o.packets === undefined) {
    throw new UsageError('-b files:N needs a condition to switch files: add -b filesize:KB, -b duration:SECONDS or -b packets:N');
  }
  return o;
}

/** The -a specs, each KEY:VALUE as dumpcap takes them. */
export function parseAutostopOptions(specs: string[]): AutostopOptions | null {
  if (specs.length === 0) return null;
  const o: AutostopOptions = {};
  for (const spec of specs) {
    const [key, value = ''] = spec.split(':', 2);
    if (key === 'duration') o.duration = positive('-a', spec, value) * 1000;
    else if (key === 'filesize') o.fileSize = positive('-a', spec, value) * KB;
    else if (key === 'packets') o.packets = positive('-a', spec, value);
    else if (key === 'files') o.files = positive('-a', spec, value);
    else throw new UsageError(`invalid -a ${spec}: tcpwatch takes -a duration:SECONDS, -a filesize:KB, -a packets:N and -a files:N`);
  }
  return o;
}

/** Local time as dumpcap writes it in ring file names: YYYYmmddHHMMSS. */
function stamp(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}`;
}

/** The name of file number `n` of the ring for `-w base`: PREFIX_NNNNN_TIME.SUFFIX. */
export function ringFileName(base: string, n: number, when: Date): string {
  const dir = path.dirname(base);
  const name = path.basename(base);
  const dot = name.lastIndexOf('.');
  const prefix = dot > 0 ? name.slice(0, dot) : name;
  const suffix = dot > 0 ? name.slice(dot) : '';
  return path.join(dir, `${prefix}_${String(n).padStart(5, '0')}_${stamp(when)}${suffix}`);
}

/**
 * A CaptureWriter over a series of files. `write` switches to a new file first when the current
 * one has reached -b filesize or lived -b duration; `tick` (called by the capture's timer) switches
 * on time alone, so that a quiet link still gets its files. `stopWanted` says when -a filesize or
 * -a files is reached: the capture stops after the packet just written.
 */
export class RingWriter implements CaptureWriter {
  /** Every file this ring created, in order; the first ones are deleted as -b files:N requires. */
  readonly paths: string[] = [];
  stopWanted = false;
  private current: CaptureWriter;
  private openedAt = 0;
  private framesBefore = 0;
  private bytes = 0;
  private number = 0;
  private closed = false;
  // The current writer was closed by -a files: its frames are in framesBefore already.
  private currentCounted = false;

  constructor(
    readonly base: string,
    private readonly linkType: number,
    private readonly format: 'pcap' | 'pcapng',
    private readonly ring: RingOptions | null,
    private readonly stop: AutostopOptions | null,
    private readonly interfaces?: DeclaredInterface[],
    private readonly now: () => number = Date.now,
  ) {
    this.current = this.open();
  }

  get framesWritten(): number {
    return this.framesBefore + (this.currentCounted ? 0 : this.current.framesWritten);
  }

  /** For the closing line: the file, or the ring's files still on disk. */
  describe(): string {
    if (this.ring === null) return this.base;
    const kept = this.paths.length === 1 ? this.paths[0] : `${this.paths[0]} to ${this.paths[this.paths.length - 1]}`;
    if (this.number === 1) return kept;
    return this.number === this.paths.length ? `${this.number} files, ${kept}` : `${this.number} files, the last ${this.paths.length} kept: ${kept}`;
  }

  /** The file being written. */
  get path(): string {
    return this.paths[this.paths.length - 1];
  }

  private open(): CaptureWriter {
    this.number++;
    this.openedAt = this.now();
    const file = this.ring === null ? this.base : ringFileName(this.base, this.number, new Date(this.openedAt));
    const w = openOutputFile(file, this.linkType, this.format, this.interfaces);
    this.paths.push(file);
    // What the file already holds: pcap's file header, or pcapng's section and interface blocks.
    this.bytes = this.format === 'pcap' ? 24 : 28 + 32;
    const keep = this.ring?.files;
    if (keep !== undefined) {
      while (this.paths.length > keep) {
        const old = this.paths.shift()!;
        try {
          fs.unlinkSync(old);
        } catch {
          // already gone (the user moved it away): nothing to free
        }
      }
    }
    return w;
  }

  private switchFile(): void {
    this.current.close();
    this.framesBefore += this.current.framesWritten;
    this.currentCounted = true;
    if (this.stop?.files !== undefined && this.number >= this.stop.files) {
      this.stopWanted = true;
      return;
    }
    this.current = this.open();
    this.currentCounted = false;
  }

  private due(): boolean {
    if (this.ring === null) return false;
    if (this.ring.fileSize !== undefined && this.bytes >= this.ring.fileSize) return true;
    if (this.ring.packets !== undefined && !this.currentCounted && this.current.framesWritten >= this.ring.packets) return true;
    return this.ring.duration !== undefined && this.now() - this.openedAt >= this.ring.duration;
  }

  write(f: CapturedFrame): void {
    if (this.stopWanted) return;
    if (this.due()) {
      this.switchFile();
      if (this.stopWanted) return;
    }
    this.current.write(f);
    // The record's size in the file: pcap's 16-byte header or pcapng's 32-byte EPB, padded.
    this.bytes += this.format === 'pcap' ? 16 + f.capLen : 32 + ((f.capLen + 3) & ~3);
    if (this.stop?.fileSize !== undefined && this.bytes >= this.stop.fileSize) this.stopWanted = true;
  }

  /** A switch on time alone, between packets (a quiet link gets its files too). */
  tick(): void {
    if (!this.closed && !this.stopWanted && this.ring?.duration !== undefined && this.due()) this.switchFile();
  }

  flush(): void {
    this.current.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current.close();
  }
}

/** The -w writer a capture asks for: one file, or a ring of them (-b); -a filesize and -a files honoured. */
export function openCaptureOutput(file: string, linkType: number, format: 'pcap' | 'pcapng' | undefined, ring: RingOptions | null, stop: AutostopOptions | null, interfaces?: DeclaredInterface[]): CaptureWriter | RingWriter {
  if (ring === null && stop?.fileSize === undefined) return openOutputFile(file, linkType, format ?? formatForPath(file), interfaces);
  return new RingWriter(file, linkType, format ?? formatForPath(file), ring, stop, interfaces);
}

/** -b and -a checked against -w and each other before anything is captured. */
export function checkRingOptions(write: string | undefined, ring: RingOptions | null, stop: AutostopOptions | null): void {
  if (ring !== null && (write === undefined || write === '-')) throw new UsageError('-b needs -w FILE: the ring\'s files are named after it (standard output cannot be split)');
  if (stop?.fileSize !== undefined && (write === undefined || write === '-')) throw new UsageError('-a filesize needs -w FILE');
  if (stop?.files !== undefined && ring === null) throw new UsageError('-a files needs -b: add -b filesize:KB or -b duration:SECONDS');
}
