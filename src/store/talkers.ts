// The conversations and endpoints tables the index cannot give alone (Ethernet, IPv4 and IPv6
// conversations; endpoints of every kind): the index keeps one address pair per packet, the
// Source/Destination columns' (no MAC address beside an IP header, one IP header of a tunnel),
// while tshark's tables count every Ethernet and IP header a frame carries. So these tables read the
// frames again, decode them (no analysis: only the headers count) and fill the same tables as
// -z conv / -z endpoints (src/reports/statistics/conversations.ts). A step stops at its deadline, so
// the UI counts a large capture in slices between keys.

import { Dissection } from '../decode/dissection';
import { AddressKind, ConversationTable, EndpointTable } from '../reports/statistics/conversations';
import { PacketStore } from './packet-store';
import { FileFrames, FrameStorage } from './frames';
import type { PacketList } from './conversations';

export type TalkerTable = ConversationTable | EndpointTable;

export class TalkerCount {
  readonly table: TalkerTable;
  /** Packets to count: the display filter's matches when it ran, else the first `total` packets. */
  readonly total: number;
  /** Packets counted so far. */
  counted = 0;
  private readonly d = new Dissection();
  // Sequential reading gets its own block cache so the count does not evict what the screen shows.
  private readonly ownFrames: FileFrames | null;
  private readonly frames: FrameStorage;

  constructor(readonly store: PacketStore, readonly kind: AddressKind, readonly endpoints: boolean, readonly only: PacketList | null) {
    this.table = endpoints ? new EndpointTable(kind) : new ConversationTable(kind);
    this.total = only !== null ? only.length : store.index.count;
    this.ownFrames = store.kind === 'file' ? new FileFrames((store.frames as FileFrames).path) : null;
    this.frames = this.ownFrames ?? store.frames;
  }

  get done(): boolean {
    return this.counted >= this.total;
  }

  /** Count packets until the deadline (performance.now() milliseconds); true once every packet is counted. */
  step(deadlineMs: number): boolean {
    const only = this.only, store = this.store, d = this.d, t = this.table;
    let k = this.counted;
    while (k < this.total) {
      const i = only !== null ? only.get(k) : k;
      // a frame that cannot be read again decodes as empty and adds nothing
      if (store.load(i, d, this.frames)) t.add(d);
      k++;
      if ((k & 255) === 0 && performance.now() > deadlineMs) break;
    }
    this.counted = k;
    if (this.done) this.close();
    return this.done;
  }

  close(): void {
    this.ownFrames?.close();
  }
}
