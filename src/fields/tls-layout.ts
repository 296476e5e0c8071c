// One frame's TLS nodes as the protocol tree shows them, in order, each with its parent and bytes:
// what src/fields/tls-tree.ts lays out and the TLS fields read their place and value from.

import { RecordFlag, TlsInfo } from '../tls/tls-info';
import { versionShortName } from '../tls/records';

/** Most nodes one frame's TLS subtree holds; past it the layout stops (a frame has far fewer). */
export const MAX_NODES = 100_000;

/** One frame's TLS nodes in the order the tree shows them (pre-order). */
export class TlsLayout {
  n = 0;
  readonly name: string[] = [];
  readonly parent: number[] = [];
  readonly buf: Buffer[] = [];
  readonly off: number[] = [];
  readonly len: number[] = [];
  readonly num: number[] = [];
  readonly text: string[] = [];
  /** Which TLS subtree of the frame each node is in: 0, or 1 for records after a reassembled one (tshark's second TLS pass). */
  readonly inst: number[] = [];
  /** The subtree top-level nodes go to. */
  instance = 0;
  readonly occ = new Map<string, number[]>();

  /** A node under `parent` (-1: the protocol); -1 when the layout is full. */
  add(name: string, parent: number, buf: Buffer, off: number, len: number, num = 0, text = ''): number {
    if (this.n >= MAX_NODES) return -1;
    const k = this.n++;
    this.name.push(name);
    this.parent.push(parent);
    this.buf.push(buf);
    this.off.push(off);
    this.len.push(Math.max(0, len));
    this.num.push(num);
    this.text.push(text);
    this.inst.push(parent >= 0 ? this.inst[parent] : this.instance);
    let list = this.occ.get(name);
    if (list === undefined) this.occ.set(name, (list = []));
    list.push(k);
    return k;
  }

  at(name: string, i: number): number {
    const list = this.occ.get(name);
    return list !== undefined && i < list.length ? list[i] : -1;
  }
}

/** How many TLS subtrees the frame shows: one per pass of TLS over its bytes (tshark's dissector calls). */
export function tlsInstances(t: TlsInfo): number {
  return Math.max(1, Math.min(t.calls, 255));
}

/** A record's node label in the details tree, as tshark's (the version shown, and what the record carries). */
export function recordLabel(t: TlsInfo, r: number): string {
  const name = versionShortName(t.shownVersion[r]) ?? 'SSL';
  if (t.recordFlags[r] & RecordFlag.Sslv2) return 'SSLv2 Record Layer';
  if (t.recordFlags[r] & RecordFlag.Opaque) return `${name} Record Layer: Application Data Protocol: Application Data`;
  const ct = CONTENT_NAMES[t.contentType[r]];
  return ct === undefined ? `${name} Record Layer: Unknown` : `${name} Record Layer: ${ct}`;
}
/** Content types as a record's label names them. */
export const CONTENT_NAMES: Readonly<Record<number, string>> = {
  20: 'Change Cipher Spec Protocol: Change Cipher Spec', 21: 'Alert Protocol', 22: 'Handshake Protocol', 23: 'Application Data Protocol: Application Data',
  24: 'Heartbeat Protocol',
};
