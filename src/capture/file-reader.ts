// Streaming readers for pcap and pcapng. The file is read in chunks into one buffer that is reused;
// each frame is handed on as an offset into it (zero copy), so memory stays flat however large
// the file is. Damage in the file ends reading with a CaptureFileError that names the byte offset;
// the frames before it have already been delivered.

import * as fs from 'node:fs';
import { declareInterface, setInterfaceDescription, setInterfaceName } from './interface-names';
import { CapturedFrame, FrameSource } from './frame';
import { PCAP_GLOBAL_HEADER_LEN, PCAP_LINKTYPE_MASK, PCAP_RECORD_HEADER_LEN, pcapMagic } from './pcap-format';

export class CaptureFileError extends Error {
  constructor(readonly file: string, readonly offset: number, readonly reason: string) {
    super(`${file}: ${reason} at byte offset ${offset}`);
  }
}

// pcapng (draft-ietf-opsawg-pcapng) block types
export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB = 0x00000002; // obsolete Packet Block
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_DSB = 0x0000000a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
/** Longer interface names are cut (Linux allows 15 bytes; pcapng options up to 65535). */
const MAX_IF_NAME = 256;
const IF_TSOFFSET = 14;
const BLOCK_MIN_LEN = 12;

// Longest record tcpwatch accepts. libpcap caps snapshots at 256 KiB, but BIG TCP and GSO
// super-packets are larger; anything beyond this is damage, not a frame.
const MAX_RECORD_LEN = 16 * 1024 * 1024;
const CHUNK_LEN = 4 * 1024 * 1024;

interface PcapngInterface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second, 0 when the resolution is a power of two (see tsBinaryShift). */
  unitsPerSec: number;
  tsBinaryShift: number;
  tsOffsetSec: number;
}

/** A key log carried in a pcapng Decryption Secrets Block. */
export interface DecryptionSecrets {
  secretsType: number;
  data: Buffer;
}
export const SECRETS_TYPE_TLS_KEYLOG = 0x544c534b; // 'TLSK'

type Format = 'pcap' | 'pcapng';

export class CaptureFileReader implements FrameSource {
  readonly description: string;
  format: Format = 'pcap';
  /** Decryption secrets found so far (pcapng DSB). */
  readonly secrets: DecryptionSecrets[] = [];
  /** Link types per interface, as declared so far. */
  readonly interfaces: { linkType: number; snapLen: number }[] = [];

  private fd: number;
  private readonly ownsFd: boolean;
  private buf: Buffer;
  private start = 0;
  private end = 0;
  /** File offset of buf[0]. */
  private base = 0;
  private eof = false;

  // pcap state
  private pcapBigEndian = false;
  private pcapNsec = false;
  private pcapRecordHeaderLen = PCAP_RECORD_HEADER_LEN;
  private pcapLinkType = 0;
  // pcapng state
  private ngBigEndian = false;
  private ngIfaces: PcapngInterface[] = [];

  /** `chunkSize` is how much is read at a time (tests use tiny chunks to exercise record boundaries). */
  constructor(readonly path: string, fd?: number, chunkSize = CHUNK_LEN) {
    this.buf = Buffer.allocUnsafe(chunkSize);
    this.description = path === '-' ? 'standard input' : path;
    if (fd !== undefined) {
      this.fd = fd;
      this.ownsFd = false;
    } else if (path === '-') {
      this.fd = 0;
      this.ownsFd = false;
    } else {
      this.fd = fs.openSync(path, 'r');
      this.ownsFd = true;
    }
    this.readHeader();
  }

  close(): void {
    if (this.ownsFd && this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** True when timestamps carry more than microsecond precision (tshark then shows 9 decimals). */
  get nanosecond(): boolean {
    if (this.format === 'pcap') return this.pcapNsec;
    const i = this.ngIfaces[0];
    return i !== undefined && (i.unitsPerSec === 0 ? i.tsBinaryShift > 20 : i.unitsPerSec > 1e6);
  }

  /** File offset of the next unread byte. */
  get position(): number {
    return this.base + this.start;
  }

  /**
   * File offset of the captured bytes of the frame that next() just delivered: the packet store keeps
   * it so the bytes can be read back later with one positioned read, whatever the format and section.
   */
  dataOffset(frame: CapturedFrame): number {
    return this.base + frame.off;
  }

  private fail(offset: number, reason: string): never {
    throw new CaptureFileError(this.description, offset, reason);
  }

  /** Make at least n bytes available from `start`; false when the file ends first. */
  private ensure(n: number): boolean {
    if (this.end - this.start >= n) return true;
    if (n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
      this.buf.copy(bigger, 0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
      this.buf = bigger;
    } else if (this.start > 0 && this.buf.length - this.start < n) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    while (this.end - this.start < n && !this.eof) {
      let got: number;
      try {
        got = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EAGAIN') { waitBriefly(); continue; }
        if (err.code === 'EOF') { got = 0; } else throw e;
      }
      if (got === 0) this.eof = true;
      this.end += got;
    }
    return this.end - this.start >= n;
  }

  private readHeader(): void {
    if (!this.ensure(4)) {
      if (this.end === 0) this.fail(0, 'the file is empty, not a pcap or pcapng capture');
      this.fail(0, 'the file is too short to be a pcap or pcapng capture');
    }
    const magic = this.buf.readUInt32BE(this.start);
    if (magic === BT_SHB) {
      this.format = 'pcapng';
      return; // the SHB is read as the first block by next()
    }
    const kind = pcapMagic(magic);
    if (kind === null) this.fail(0, 'not a pcap or pcapng capture (unknown magic number)');
    if (!this.ensure(PCAP_GLOBAL_HEADER_LEN)) this.fail(this.end, 'pcap file header cut short');
    const b = this.buf, s = this.start, bigEndian = kind.bigEndian;
    this.pcapBigEndian = bigEndian;
    this.pcapNsec = kind.nanosecond;
    this.pcapRecordHeaderLen = kind.modified ? PCAP_RECORD_HEADER_LEN + 8 : PCAP_RECORD_HEADER_LEN;
    const major = bigEndian ? b.readUInt16BE(s + 4) : b.readUInt16LE(s + 4);
    if (major !== 2) this.fail(4, `unsupported pcap version ${major}`);
    const snapLen = bigEndian ? b.readUInt32BE(s + 16) : b.readUInt32LE(s + 16);
    const lt = (bigEndian ? b.readUInt32BE(s + 20) : b.readUInt32LE(s + 20)) & PCAP_LINKTYPE_MASK;
    this.pcapLinkType = lt & 0xffff;
    this.interfaces.push({ linkType: this.pcapLinkType, snapLen });
    this.start += PCAP_GLOBAL_HEADER_LEN;
  }

  next(frame: CapturedFrame): boolean {
    return this.format === 'pcap' ? this.nextPcap(frame) : this.nextPcapng(frame);
  }

  private nextPcap(frame: CapturedFrame): boolean {
    const hl = this.pcapRecordHeaderLen;
    if (!this.ensure(hl)) {
      if (this.end > this.start) this.fail(this.position, 'record header cut short (file truncated)');
      return false;
    }
    const b = this.buf, s = this.start, be = this.pcapBigEndian;
    const tsSec = be ? b.readUInt32BE(s) : b.readUInt32LE(s);
    const tsFrac = be ? b.readUInt32BE(s + 4) : b.readUInt32LE(s + 4);
    const capLen = be ? b.readUInt32BE(s + 8) : b.readUInt32LE(s + 8);
    const origLen = be ? b.readUInt32BE(s + 12) : b.readUInt32LE(s + 12);
    if (capLen > MAX_RECORD_LEN) this.fail(this.position, `record length ${capLen} is larger than any frame`);
    const recordOffset = this.position;
    if (!this.ensure(hl + capLen)) this.fail(recordOffset, `record of ${capLen} bytes cut short (file truncated)`);
    frame.buf = this.buf;
    frame.off = this.start + hl;
    frame.capLen = capLen;
    frame.origLen = origLen;
    frame.tsSec = tsSec;
    frame.tsNsec = this.pcapNsec ? tsFrac : tsFrac * 1000;
    frame.linkType = this.pcapLinkType;
    frame.ifIndex = 0;
    frame.fileOffset = recordOffset;
    this.start += hl + capLen;
    return true;
  }

  private u32(p: number): number {
    return this.ngBigEndian ? this.buf.readUInt32BE(p) : this.buf.readUInt32LE(p);
  }

  private u16(p: number): number {
    return this.ngBigEndian ? this.buf.readUInt16BE(p) : this.buf.readUInt16LE(p);
  }

  private nextPcapng(frame: CapturedFrame): boolean {
    for (;;) {
      if (!this.ensure(BLOCK_MIN_LEN)) {
        if (this.end > this.start) this.fail(this.position, 'block header cut short (file truncated)');
        return false;
      }
      const blockOffset = this.position;
      const s = this.start;
      const type = this.buf.readUInt32LE(s) >>> 0; // SHB's type reads the same in both orders
      if (type === BT_SHB) {
        this.readSectionHeader(blockOffset);
        continue;
      }
      const blockType = this.u32(s);
      const len = this.u32(s + 4);
      if (len < BLOCK_MIN_LEN || len % 4 !== 0 || len > MAX_RECORD_LEN) {
        this.fail(blockOffset, `invalid block length ${len}`);
      }
      if (!this.ensure(len)) this.fail(blockOffset, `block of ${len} bytes cut short (file truncated)`);
      const b0 = this.start;
      if (this.u32(b0 + len - 4) !== len) this.fail(blockOffset, 'block trailer length does not match its header');
      const bodyEnd = b0 + len - 4;
      this.start += len;
      switch (blockType) {
        case BT_IDB: this.readInterface(b0 + 8, bodyEnd, blockOffset); break;
        case BT_EPB: if (this.readEnhancedPacket(frame, b0 + 8, bodyEnd, blockOffset)) return true; break;
        case BT_SPB: if (this.readSimplePacket(frame, b0 + 8, bodyEnd, blockOffset)) return true; break;
        case BT_PB: if (this.readObsoletePacket(frame, b0 + 8, bodyEnd, blockOffset)) return true; break;
        case BT_DSB: this.readSecrets(b0 + 8, bodyEnd, blockOffset); break;
        default: break; // NRB, ISB, custom and unknown blocks carry nothing tcpwatch needs
      }
    }
  }

  private readSectionHeader(blockOffset: number): void {
    if (!this.ensure(BLOCK_MIN_LEN + 4)) this.fail(blockOffset, 'section header block cut short');
    const s = this.start;
    const bom = this.buf.readUInt32LE(s + 8);
    if (bom === BYTE_ORDER_MAGIC) this.ngBigEndian = false;
    else if (this.buf.readUInt32BE(s + 8) === BYTE_ORDER_MAGIC) this.ngBigEndian = true;
    else this.fail(blockOffset + 8, 'section header has no valid byte-order magic');
    const len = this.u32(s + 4);
    if (len < 28 || len % 4 !== 0 || len > MAX_RECORD_LEN) this.fail(blockOffset, `invalid section header length ${len}`);
    if (!this.ensure(len)) this.fail(blockOffset, 'section header block cut short (file truncated)');
    const major = this.u16(this.start + 12);
    if (major !== 1) this.fail(blockOffset + 12, `unsupported pcapng version ${major}`);
    // A new section starts a new list of interfaces.
    this.ngIfaces = [];
    this.start += len;
  }

  private readInterface(p: number, end: number, blockOffset: number): void {
    if (end - p < 8) this.fail(blockOffset, 'interface description block too short');
    const iface: PcapngInterface = {
      linkType: this.u16(p),
      snapLen: this.u32(p + 4),
      unitsPerSec: 1e6,
      tsBinaryShift: 0,
      tsOffsetSec: 0,
    };
    this.forEachOption(p + 8, end, (code, vp, vlen) => {
      if (code === IF_TSRESOL && vlen >= 1) {
        const r = this.buf[vp];
        if (r & 0x80) {
          iface.unitsPerSec = 0;
          iface.tsBinaryShift = r & 0x7f;
        } else {
          iface.unitsPerSec = 10 ** (r & 0x7f);
        }
      } else if (code === IF_NAME && vlen > 0) {
        // Only the name's text: frame.interface_name shows it, through the output's sanitizer.
        setInterfaceName(this.ngIfaces.length, this.buf.toString('utf8', vp, vp + Math.min(vlen, MAX_IF_NAME)));
      } else if (code === IF_DESCRIPTION && vlen > 0) {
        setInterfaceDescription(this.ngIfaces.length, this.buf.toString('utf8', vp, vp + Math.min(vlen, MAX_IF_NAME)));
      } else if (code === IF_TSOFFSET && vlen >= 8) {
        iface.tsOffsetSec = this.u32(vp + (this.ngBigEndian ? 4 : 0)) + this.u32(vp + (this.ngBigEndian ? 0 : 4)) * 2 ** 32;
      }
    });
    declareInterface(this.ngIfaces.length);
    this.ngIfaces.push(iface);
    this.interfaces.push({ linkType: iface.linkType, snapLen: iface.snapLen });
  }

  private forEachOption(p: number, end: number, fn: (code: number, valueOff: number, valueLen: number) => void): void {
    while (end - p >= 4) {
      const code = this.u16(p);
      const vlen = this.u16(p + 2);
      if (code === OPT_ENDOFOPT) return;
      if (vlen > end - p - 4) return; // damaged options are skipped, the block stays usable
      fn(code, p + 4, vlen);
      p += 4 + ((vlen + 3) & ~3);
    }
  }

  private iface(id: number, blockOffset: number): PcapngInterface {
    const iface = this.ngIfaces[id];
    if (iface === undefined) this.fail(blockOffset, `packet refers to interface ${id}, which was not described`);
    return iface;
  }

  /**
   * Enhanced Packet Block and the obsolete Packet Block share one layout after the interface id
   * (32 bits in an EPB, 16 bits plus a drops count in a PB): timestamp high/low, captured and
   * original lengths, then the data.
   */
  private readPacket(frame: CapturedFrame, p: number, end: number, blockOffset: number, ifId: number, what: string): boolean {
    if (end - p < 20) this.fail(blockOffset, `${what} too short`);
    const iface = this.iface(ifId, blockOffset);
    const capLen = this.u32(p + 12);
    if (capLen > end - p - 20) this.fail(blockOffset, `packet length ${capLen} exceeds its block`);
    setTimestamp(frame, this.u32(p + 4), this.u32(p + 8), iface);
    frame.buf = this.buf;
    frame.off = p + 20;
    frame.capLen = capLen;
    frame.origLen = this.u32(p + 16);
    frame.linkType = iface.linkType;
    frame.ifIndex = ifId;
    frame.fileOffset = blockOffset;
    return true;
  }

  private readEnhancedPacket(frame: CapturedFrame, p: number, end: number, blockOffset: number): boolean {
    return this.readPacket(frame, p, end, blockOffset, end - p >= 4 ? this.u32(p) : 0, 'enhanced packet block');
  }

  private readObsoletePacket(frame: CapturedFrame, p: number, end: number, blockOffset: number): boolean {
    return this.readPacket(frame, p, end, blockOffset, end - p >= 2 ? this.u16(p) : 0, 'packet block');
  }

  private readSimplePacket(frame: CapturedFrame, p: number, end: number, blockOffset: number): boolean {
    if (end - p < 4) this.fail(blockOffset, 'simple packet block too short');
    const iface = this.iface(0, blockOffset);
    const origLen = this.u32(p);
    let capLen = Math.min(origLen, end - p - 4);
    if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
    // A simple packet block has no timestamp: Wireshark shows it as time 0.
    frame.tsSec = 0;
    frame.tsNsec = 0;
    frame.buf = this.buf;
    frame.off = p + 4;
    frame.capLen = capLen;
    frame.origLen = origLen;
    frame.linkType = iface.linkType;
    frame.ifIndex = 0;
    frame.fileOffset = blockOffset;
    return true;
  }

  private readSecrets(p: number, end: number, blockOffset: number): void {
    if (end - p < 8) this.fail(blockOffset, 'decryption secrets block too short');
    const secretsType = this.u32(p);
    const len = this.u32(p + 4);
    if (len > end - p - 8) this.fail(blockOffset, 'decryption secrets length exceeds its block');
    // Copied: the read buffer is reused, and secrets live as long as the capture.
    this.secrets.push({ secretsType, data: Buffer.from(this.buf.subarray(p + 8, p + 8 + len)) });
  }
}

/**
 * Split a 64-bit pcapng timestamp (hi, lo) in the interface's units into seconds and nanoseconds
 * without BigInt: long division in 16-bit limbs keeps every intermediate below 2^53.
 */
function setTimestamp(frame: CapturedFrame, hi: number, lo: number, iface: PcapngInterface): void {
  if (iface.unitsPerSec === 0) {
    const shift = iface.tsBinaryShift;
    // value / 2^shift: whole seconds and the fraction scaled to nanoseconds
    const value = hi * 4294967296 + lo; // exact while below 2^53, which binary resolutions up to 2^-20 keep for centuries
    const unit = 2 ** shift;
    const sec = Math.floor(value / unit);
    frame.tsSec = sec + iface.tsOffsetSec;
    frame.tsNsec = Math.floor(((value - sec * unit) * 1e9) / unit);
    return;
  }
  const u = iface.unitsPerSec;
  let r = 0;
  let q = 0;
  const limbs0 = hi >>> 16, limbs1 = hi & 0xffff, limbs2 = lo >>> 16, limbs3 = lo & 0xffff;
  let cur = limbs0; q = Math.floor(cur / u); r = cur - q * u;
  cur = r * 65536 + limbs1; let qq = Math.floor(cur / u); r = cur - qq * u; q = q * 65536 + qq;
  cur = r * 65536 + limbs2; qq = Math.floor(cur / u); r = cur - qq * u; q = q * 65536 + qq;
  cur = r * 65536 + limbs3; qq = Math.floor(cur / u); r = cur - qq * u; q = q * 65536 + qq;
  frame.tsSec = q + iface.tsOffsetSec;
  frame.tsNsec = u <= 1e9 ? r * (1e9 / u) : Math.floor(r / (u / 1e9));
}

function waitBriefly(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
}
