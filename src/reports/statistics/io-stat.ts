// I/O statistics over time (tshark's -z io,stat,INTERVAL[,FILTER…]): frames and bytes per time
// interval, one column per filter. Intervals are kept sparse (only those that saw a frame), and
// at most MAX_INTERVALS of them, so a capture that spans years at a millisecond interval cannot
// exhaust memory.

import { Dissection } from '../../decode/dissection';

export const MAX_INTERVALS = 1_000_000;

export interface IoCell {
  frames: number;
  bytes: number;
}

export class IoColumn {
  readonly cells = new Map<number, IoCell>();
  maxFrames = 0;
  maxBytes = 0;
  constructor(readonly filterText: string | undefined) {}
}

export class IoStatistics {
  /** Interval in microseconds; 0 means the whole capture is one interval. */
  readonly intervalUs: number;
  /** Decimal places the interval was given with (0 to 6). */
  readonly precision: number;
  /** Microseconds from the first packet to the last. */
  durationUs = 0;
  elapsedSec = 0;
  elapsedNsec = 0;
  /** Frames in intervals past MAX_INTERVALS, counted but not shown. */
  dropped = 0;

  constructor(intervalUs: number, precision: number, readonly columns: IoColumn[]) {
    this.intervalUs = intervalUs;
    this.precision = precision;
  }

  /** Every frame moves the end of the capture, whichever column it counts in. */
  seen(d: Dissection): void {
    let sec = d.tsSec - d.firstTsSec, nsec = d.tsNsec - d.firstTsNsec;
    if (nsec < 0) { sec -= 1; nsec += 1e9; }
    if (sec > this.elapsedSec || (sec === this.elapsedSec && nsec > this.elapsedNsec)) {
      this.elapsedSec = sec;
      this.elapsedNsec = nsec;
      this.durationUs = sec * 1e6 + Math.floor((nsec + 500) / 1000);
    }
  }

  /**
   * One frame into every column whose filter passes it (null: every frame), as -z io,stat and the
   * UI's I/O graph count.
   */
  count(d: Dissection, filters: readonly (((d: Dissection) => boolean) | null)[]): void {
    this.seen(d);
    for (let j = 0; j < filters.length; j++) {
      const f = filters[j];
      if (f === null || f(d)) this.add(j, d);
    }
  }

  /** Intervals from the first packet to the last (tshark prints each, those without frames too). */
  get intervals(): number {
    return this.intervalUs === 0 ? 1 : Math.floor(this.durationUs / this.intervalUs) + 1;
  }

  add(column: number, d: Dissection): void {
    let sec = d.tsSec - d.firstTsSec, nsec = d.tsNsec - d.firstTsNsec;
    if (nsec < 0) { sec -= 1; nsec += 1e9; }
    const us = Math.max(0, sec * 1e6 + Math.floor((nsec + 500) / 1000));
    const index = this.intervalUs === 0 ? 0 : Math.floor(us / this.intervalUs);
    const col = this.columns[column];
    let cell = col.cells.get(index);
    if (cell === undefined) {
      if (col.cells.size >= MAX_INTERVALS) { this.dropped++; return; }
      cell = { frames: 0, bytes: 0 };
      col.cells.set(index, cell);
    }
    cell.frames++;
    cell.bytes += d.origLen;
    if (cell.frames > col.maxFrames) col.maxFrames = cell.frames;
    if (cell.bytes > col.maxBytes) col.maxBytes = cell.bytes;
  }
}
