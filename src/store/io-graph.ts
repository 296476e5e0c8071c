// The UI's I/O graph counted over the store: every packet through a fresh pipeline (StoreReplay, as
// display filters see it), into the one I/O counter of -z io,stat (IoStatistics), one column per
// graph line. Incremental like a FilterRun: steps are short slices with a deadline, so keys are
// answered while a large capture is counted, and it keeps up with packets that arrive later.

import { DisplayFilter } from '../pipeline';
import { PacketStore } from './packet-store';
import { StoreReplay } from './filter-run';
import { IoStatistics, IoColumn } from '../reports/statistics/io-stat';

/** One line of the graph: the display filter it counts ('' for every packet) and its compiled form. */
export interface IoGraphLine {
  expression: string;
  filter: DisplayFilter | null;
}

/**
 * Wireshark's I/O Graph interval choices from 1 ms up (its list also has 10 and 100 µs, below what a
 * screen of columns shows), with the decimals -z io,stat is given them with.
 */
export const IO_GRAPH_INTERVALS: readonly { us: number; name: string; precision: number }[] = [
  { us: 1_000, name: '1 ms', precision: 3 },
  { us: 10_000, name: '10 ms', precision: 2 },
  { us: 100_000, name: '100 ms', precision: 1 },
  { us: 1_000_000, name: '1 s', precision: 0 },
  { us: 10_000_000, name: '10 s', precision: 0 },
  { us: 60_000_000, name: '1 min', precision: 0 },
  { us: 600_000_000, name: '10 min', precision: 0 },
];

export class IoGraphRun {
  readonly io: IoStatistics;
  /** Packets counted so far. */
  scanned = 0;
  private readonly filters: (DisplayFilter | null)[];
  private readonly replay: StoreReplay;
  private ended = false;

  constructor(readonly store: PacketStore, intervalUs: number, precision: number, readonly lines: readonly IoGraphLine[]) {
    this.io = new IoStatistics(intervalUs, precision, lines.map((l) => new IoColumn(l.expression === '' ? undefined : l.expression)));
    this.filters = lines.map((l) => l.filter);
    this.replay = new StoreReplay(store);
  }

  /** True once every packet the store will ever have has been counted. */
  get done(): boolean {
    return !this.store.loading && this.scanned >= this.store.count;
  }

  /** Counting has ended: every packet the store will have is counted, or the graph went. */
  get closed(): boolean {
    return this.ended;
  }

  /** Count packets until the deadline (performance.now() milliseconds); true if any was counted. */
  step(deadlineMs: number): boolean {
    if (this.ended) return false;
    const end = this.store.count, start = this.scanned;
    let i = start;
    for (; i < end; i++) {
      this.io.count(this.replay.next(i), this.filters);
      // Read after every packet, as FilterRun does: one filter evaluation can be long.
      if (performance.now() > deadlineMs) {
        i++;
        break;
      }
    }
    this.scanned = i;
    if (this.done) this.close();
    return i > start;
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.replay.close();
  }
}
