// Fields that name a later frame (http.response_in, dns.response_in), as tshark's second pass (-2)
// knows them: each is the inverse of a field that names an earlier frame (http.request_in,
// dns.response_to), read from every frame of the first pass. Without -2 they are absent, as in a
// single pass of tshark, which cannot know what comes later.

import { defineField, FT, getField, FieldDef } from './registry';

interface ForwardRef {
  /** The field of the later frame that names the earlier one. */
  backward: string;
  /** For each frame number, the later frame naming it (0: none); null until a first pass filled it. */
  table: Uint32Array | null;
}
const forwardRefs: ForwardRef[] = [];

/**
 * Declare a field that names the later frame whose `backward` field names this one (the first such
 * frame, as Wireshark keeps the first response it matched).
 */
export function defineForwardRef(def: { name: string; label: string; proto: string; backward: string; parent?: string }): FieldDef {
  const ref: ForwardRef = { backward: def.backward, table: null };
  forwardRefs.push(ref);
  const later = (n: number): number => (ref.table !== null && n < ref.table.length ? ref.table[n] : 0);
  return defineField({
    name: def.name, label: def.label, type: FT.UInt, ftype: 'FT_FRAMENUM', valueBits: 32, proto: def.proto, parent: def.parent, generated: true,
    count: (d) => (later(d.number) !== 0 ? 1 : 0),
    num: (d) => later(d.number),
  });
}

/**
 * The first pass's collector: it sees every frame analysed, in order, and fills the forward fields
 * once the pass ends (`install`), renumbered as the second pass numbers the frames it keeps.
 */
export class ForwardRefCollector {
  private readonly fields: (FieldDef | undefined)[] = forwardRefs.map((r) => getField(r.backward));
  private readonly tables: Uint32Array[] = forwardRefs.map(() => new Uint32Array(1024));

  analyze(d: { number: number }): void {
    for (let r = 0; r < this.fields.length; r++) {
      const f = this.fields[r];
      if (f === undefined || f.num === undefined) continue;
      const n = f.count(d as never);
      for (let i = 0; i < n; i++) {
        const earlier = f.num(d as never, i);
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

  /** Make the forward fields read what this pass found; `kept` maps a frame number to the second pass's (0: not kept). */
  install(kept: Uint32Array | null): void {
    forwardRefs.forEach((ref, r) => {
      const found = this.tables[r];
      if (kept === null) {
        ref.table = found;
        return;
      }
      const table = new Uint32Array(found.length);
      for (let n = 1; n < found.length; n++) {
        const from = n < kept.length ? kept[n] : 0, to = found[n] < kept.length ? kept[found[n]] : 0;
        if (from !== 0 && to !== 0) table[from] = to;
      }
      ref.table = table;
    });
  }
}
