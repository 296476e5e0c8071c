// Addresses as small ids: each distinct MAC, IPv4 or IPv6 address is stored once and packets keep
// a 4-byte id. Entries live in fixed-size chunks; the indexing process sends new entries to the UI's
// copy as bytes. The hash that finds an existing id lives only with the writer.
// Interning reads the address straight from the frame buffer and allocates nothing per packet.

import { ipv4At, ipv6At, macAt } from '../fields/format';
import { ipv4Shown, ipv6Shown, macShown, nameResolution } from '../fields/names';

export const enum AddrKind {
  None = 0,
  Ether = 1,
  IPv4 = 4,
  IPv6 = 6,
}

const ENTRY_BYTES = 20; // kind, length, 2 spare, 16 address bytes
const ENTRY_ADDR = 4;
const ENTRY_BITS = 14;
const ENTRIES_PER_CHUNK = 1 << ENTRY_BITS;
const ENTRY_MASK = ENTRIES_PER_CHUNK - 1;

export class AddressTable {
  /** Number of ids in use; id 0 means "no address". */
  count = 1;
  readonly chunks: Uint8Array[] = [];
  // Open addressing over ids (0 = empty slot); only the writer builds it.
  private slots = new Uint32Array(1024);
  private readonly texts: string[] = [''];
  // the two IPv4 addresses interned last (id 0: none)
  private v4Addr0 = 0;
  private v4Id0 = 0;
  private v4Addr1 = 0;
  private v4Id1 = 0;

  /** Entries [from, to) of one chunk as bytes (to send them to a reader); both in the same chunk. */
  entryBytes(from: number, to: number): Uint8Array {
    const c = this.chunks[from >>> ENTRY_BITS];
    return c.subarray(this.entry(from), this.entry(from) + (to - from) * ENTRY_BYTES);
  }

  /** A reader's side: store entries that start at id `from`, as entryBytes gave them. */
  setEntries(from: number, bytes: Uint8Array): void {
    const ci = from >>> ENTRY_BITS;
    if (this.chunks[ci] === undefined) this.chunks[ci] = new Uint8Array(ENTRIES_PER_CHUNK * ENTRY_BYTES);
    this.chunks[ci].set(bytes, this.entry(from));
    this.count = Math.max(this.count, from + bytes.length / ENTRY_BYTES);
  }

  /** Last id of the chunk that holds `id`, plus one: where a run of entries to send must stop. */
  static chunkEnd(id: number): number {
    return ((id >>> ENTRY_BITS) + 1) << ENTRY_BITS;
  }

  private entry(id: number): number {
    return (id & ENTRY_MASK) * ENTRY_BYTES;
  }

  kind(id: number): AddrKind {
    const c = this.chunks[id >>> ENTRY_BITS];
    return c === undefined ? AddrKind.None : c[this.entry(id)] as AddrKind;
  }

  /** Id of the address buf[off, off + len); adds it when new. */
  intern(kind: AddrKind, buf: Buffer, off: number, len: number): number {
    if (kind === AddrKind.IPv4) {
      // A packet's two IPv4 addresses are mostly the previous packet's two: remembered by value.
      const v = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) | 0;
      if (this.v4Id0 !== 0 && v === this.v4Addr0) return this.v4Id0;
      if (this.v4Id1 !== 0 && v === this.v4Addr1) return this.v4Id1;
      const id = this.lookUp(kind, buf, off, len);
      this.v4Addr1 = this.v4Addr0;
      this.v4Id1 = this.v4Id0;
      this.v4Addr0 = v;
      this.v4Id0 = id;
      return id;
    }
    return this.lookUp(kind, buf, off, len);
  }

  private lookUp(kind: AddrKind, buf: Buffer, off: number, len: number): number {
    let h = 2166136261 ^ kind;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[off + i], 16777619);
    const mask = this.slots.length - 1;
    let s = (h >>> 0) & mask;
    for (;;) {
      const id = this.slots[s];
      if (id === 0) break;
      if (this.equals(id, kind, buf, off, len)) return id;
      s = (s + 1) & mask;
    }
    const id = this.count++;
    const ci = id >>> ENTRY_BITS;
    if (ci >= this.chunks.length) {
      this.chunks[ci] = new Uint8Array(ENTRIES_PER_CHUNK * ENTRY_BYTES);
    }
    const c = this.chunks[ci], e = this.entry(id);
    c[e] = kind;
    c[e + 1] = len;
    for (let i = 0; i < len; i++) c[e + ENTRY_ADDR + i] = buf[off + i];
    this.slots[s] = id;
    if (this.count * 2 > this.slots.length) this.rehash();
    return id;
  }

  private equals(id: number, kind: AddrKind, buf: Buffer, off: number, len: number): boolean {
    const c = this.chunks[id >>> ENTRY_BITS], e = this.entry(id);
    if (c[e] !== kind || c[e + 1] !== len) return false;
    for (let i = 0; i < len; i++) if (c[e + ENTRY_ADDR + i] !== buf[off + i]) return false;
    return true;
  }

  private rehash(): void {
    const slots = new Uint32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 1; id < this.count; id++) {
      const c = this.chunks[id >>> ENTRY_BITS], e = this.entry(id);
      const len = c[e + 1];
      let h = 2166136261 ^ c[e];
      for (let i = 0; i < len; i++) h = Math.imul(h ^ c[e + ENTRY_ADDR + i], 16777619);
      let s = (h >>> 0) & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id;
    }
    this.slots = slots;
  }

  /** The address as Wireshark writes it (`192.0.2.1`, `2001:db8::1`, `00:11:22:33:44:55`). */
  text(id: number): string {
    if (id === 0) return '';
    const cached = this.texts[id];
    if (cached !== undefined) return cached;
    const c = this.chunks[id >>> ENTRY_BITS];
    if (c === undefined) return '';
    const e = this.entry(id);
    const b = Buffer.from(c.buffer, c.byteOffset + e + ENTRY_ADDR, 16);
    let s: string;
    switch (c[e] as AddrKind) {
      case AddrKind.IPv4: s = ipv4At(b, 0); break;
      case AddrKind.IPv6: s = ipv6At(b, 0); break;
      case AddrKind.Ether: s = macAt(b, 0); break;
      default: s = '';
    }
    this.texts[id] = s;
    return s;
  }

  /**
   * The address as the packet list shows it: its name when -N (or the UI's key) resolves its kind
   * (m: MAC addresses, n: network addresses), else as text() writes it.
   */
  shown(id: number): string {
    const kind = this.kind(id);
    if (!(kind === AddrKind.Ether ? nameResolution.mac : (kind === AddrKind.IPv4 || kind === AddrKind.IPv6) && nameResolution.network)) return this.text(id);
    const c = this.chunks[id >>> ENTRY_BITS];
    const b = Buffer.from(c.buffer, c.byteOffset + this.entry(id) + ENTRY_ADDR, 16);
    return kind === AddrKind.Ether ? macShown(b, 0) : kind === AddrKind.IPv4 ? ipv4Shown(b, 0) : ipv6Shown(b, 0);
  }
}
