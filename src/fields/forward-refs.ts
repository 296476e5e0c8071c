// Fields that name a later frame (http.response_in, dns.response_in, tcp.reassembled_in), as
// tshark's second pass (-2) knows them: each is the inverse of a field that names an earlier frame
// (http.request_in, dns.response_to, tcp.segment), read from every frame of the first pass. Without
// -2 they are absent, as in a single pass of tshark, which cannot know what comes later.

import { defineField, FT, getField, FieldDef } from './registry';

interface ForwardRef {
  /** The field of the later frame that names the earlier one. */
  backward: string;
  /** For each frame number (read order), the later frame naming it (0: none); null until a first pass filled it. */
  table: Uint32Array | null;
}
const forwardRefs: ForwardRef[] = [];

/** A forward field, and what the first pass found for it, in read order (for the stages of the second pass). */
export interface ForwardField {
  field: FieldDef;
  /** The later frame naming frame `n` (read order), 0 when none did or no first pass ran. */
  laterFrame(n: number): number;
}

/**
 * Declare a field that names the later frame whose `backward` field names this one (the first such
 * frame, as Wireshark keeps the first response it matched).
 */
export function defineForwardRef(def: { name: string; label: string; proto: string; backward: string; parent?: string; range?: FieldDef['range'] }): ForwardField {
  const ref: ForwardRef = { backward: def.backward, table: null };
  forwardRefs.push(ref);
  const later = (n: number): number => (ref.table !== null && n < ref.table.length ? ref.table[n] : 0);
  const field = defineField({
    name: def.name, label: def.label, type: FT.UInt, ftype: 'FT_FRAMENUM', valueBits: 32, proto: def.proto, parent: def.parent, generated: true, range: def.range,
    count: (d) => (later(d.number) !== 0 ? 1 : 0),
    num: (d) => later(d.number),
  });
  return { field, laterFrame: later };
}

/**
 * The first pass's collector: it sees every frame analysed, in order, and fills the forward fields
 * once the pass ends (`install`). Frames are in read order throughout; what is shown translates them
 * (frame-numbers.ts), as it translates the backward fields.
 */
export class ForwardRefCollector {
  private readonly fields: (FieldDef | undefined)[] = forwardRefs.map((r) => getField(r.backward));
  private readonly tables: Uint32Array[] = forwardRefs.map(() => new Uint32Array(1024));

  analyze(d: { number: number }): void {
    for (let r = 0; r < this.fields.length; r++) {
      const f = this.fields[r];
      const earlierOf = f?.frameInReadOrder;
      if (f === undefined || earlierOf === undefined) continue;
      const n = f.count(d as never);
      for (let i = 0; i < n; i++) {
        const earlier = earlierOf(d as never, i);
        if (!(earlier > 0 && earlier < d.number)) continue;
        let t = this.tables[r];
        if (earlier >= t.length) {
          let size = t.length;
          while (size <= earlier) size *= 2;
          const grown = new Uint32Array(size);
          grown.set(t);
          this.tables[r] = t = grown;
        }
        if (t[earlier] === 0) t[earlier] = d.number;
      }
    }
  }

  /** Make the forward fields read what this pass found. */
  install(): void {
    forwardRefs.forEach((ref, r) => {
      ref.table = this.tables[r];
    });
  }
}
