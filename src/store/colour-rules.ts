// Colouring rules in Wireshark's `colorfilters` format, and the run that finds each packet's rule.
//
// A file is lines of `@name@display filter@[R,G,B][R,G,B]` (background, then foreground; 16-bit
// channels, 0..65535), `!@…` for a rule that is kept but switched off, and `#` comments. The first
// enabled rule whose filter matches a packet gives its row colours, as in Wireshark's packet list.
// Knows nothing of the terminal (src/ui/theme.ts maps the colours to the palette).

import { DisplayFilter } from '../pipeline';
import { PacketStore } from './packet-store';
import { StoreReplay } from './filter-run';
import { CHUNK_BITS, CHUNK_MASK, CHUNK_SIZE } from './columns';

/** 16-bit red, green, blue, as the file writes them. */
export type Rgb16 = [number, number, number];

export interface ColourRule {
  name: string;
  filter: string;
  bg: Rgb16;
  fg: Rgb16;
  enabled: boolean;
}

/** A line that is neither a rule nor a comment: its 1-based number and what is wrong. */
export class ColourRulesError extends Error {
  constructor(readonly line: number, readonly reason: string) {
    super(`line ${line}: ${reason}`);
  }
}

const RULE = /^(!?)@([^@]*)@([^@]*)@\[(\d+),(\d+),(\d+)\]\[(\d+),(\d+),(\d+)\]\s*$/;

export function parseColourRules(text: string): ColourRule[] {
  const out: ColourRule[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = RULE.exec(line);
    if (m === null) throw new ColourRulesError(n + 1, 'expected @name@filter@[R,G,B][R,G,B] (background, then foreground)');
    const ch = m.slice(4, 10).map(Number);
    if (ch.some((v) => v > 0xffff)) throw new ColourRulesError(n + 1, 'a colour channel is 0 to 65535');
    out.push({ enabled: m[1] === '', name: m[2], filter: m[3], bg: [ch[0], ch[1], ch[2]], fg: [ch[3], ch[4], ch[5]] });
  }
  return out;
}

/** Rule number (1-based, into the enabled rules) for packets not yet tested, or matching none. */
export const NO_RULE = 0;
/** Stored for packets the run has not reached yet. */
const UNTESTED = 0xff;
/** Rules after this many are never consulted (one byte per packet holds the rule). */
export const MAX_RULES = 254;

/**
 * Each packet's first matching rule, found by replaying the store in slices (packets are coloured
 * from the first onwards, so the first screen has its colours after the first slice). Follows a
 * store that grows (a file still loading, live capture).
 */
export class ColourRun {
  /** Packets tested so far. */
  scanned = 0;
  private readonly chunks: Uint8Array[] = [];
  private replay: StoreReplay | null;

  constructor(readonly store: PacketStore, private readonly filters: DisplayFilter[]) {
    this.replay = filters.length > 0 ? new StoreReplay(store) : null;
    if (filters.length === 0) this.scanned = Infinity;
  }

  get done(): boolean {
    return !this.store.loading && this.scanned >= this.store.count;
  }

  /** 1-based number of packet i's rule, NO_RULE when none matches, -1 when not tested yet. */
  ruleOf(i: number): number {
    if (i >= this.scanned) return -1;
    const c = this.chunks[i >>> CHUNK_BITS];
    if (c === undefined) return NO_RULE;
    const v = c[i & CHUNK_MASK];
    return v === UNTESTED ? -1 : v;
  }

  /** Test packets until the deadline (performance.now() milliseconds); returns true if any was tested. */
  step(deadlineMs: number): boolean {
    const replay = this.replay;
    if (replay === null) return false;
    const end = this.store.count, filters = this.filters, n = Math.min(filters.length, MAX_RULES);
    const start = this.scanned;
    let i = start;
    for (; i < end; i++) {
      const k = i >>> CHUNK_BITS;
      let chunk = this.chunks[k];
      if (chunk === undefined) chunk = this.chunks[k] = new Uint8Array(CHUNK_SIZE).fill(UNTESTED);
      const d = replay.next(i);
      let rule = NO_RULE;
      for (let r = 0; r < n; r++) {
        if (filters[r](d)) {
          rule = r + 1;
          break;
        }
      }
      chunk[i & CHUNK_MASK] = rule;
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
    this.replay?.close();
    this.replay = null;
  }
}
