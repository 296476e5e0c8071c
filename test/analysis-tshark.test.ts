// TCP sequence analysis against tshark on crafted conversations (test/helpers/tcp-scenarios.ts):
// every finding Wireshark's packet-tcp.c makes (lost and ACKed-unseen segments, duplicate ACKs,
// fast/spurious/plain retransmissions, out-of-order, keep-alives, zero windows and probes, window
// updates and full windows, reused ports), the ACK RTT, calculated windows, SACK edges, AccECN and
// the Info text, compared field by field with what tshark 4.0.17 printed for the same frames
// (test/fixtures/tcp-analysis-golden.json, made by scripts/gen-tcp-analysis-golden.ts).
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CapturedFrame } from '../src/capture/frame';
import { Pipeline } from '../src/pipeline';
import { getField, formatField } from '../src/fields';
import { REPO_ROOT } from './helpers/corpus';
import { scenarios, GOLDEN_FIELDS, LINKTYPE_ETHERNET } from './helpers/tcp-scenarios';

interface Golden {
  tool: string;
  fields: string[];
  scenarios: Record<string, string[][]>;
}

const golden = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'tcp-analysis-golden.json'), 'utf8')) as Golden;

test('the golden file was made by tshark 4.0 with the fields this test reads', () => {
  assert.match(golden.tool, /^TShark \(Wireshark\) 4\.0\./);
  assert.deepEqual(golden.fields, GOLDEN_FIELDS);
});

for (const s of scenarios()) {
  test(`crafted TCP conversation "${s.name}" reads as tshark reads it`, () => {
    const want = golden.scenarios[s.name];
    assert.ok(want, `no golden rows for ${s.name}: run scripts/gen-tcp-analysis-golden.ts`);
    assert.equal(want.length, s.frames.length);
    const p = new Pipeline({ sink: null });
    const f = new CapturedFrame();
    const defs = GOLDEN_FIELDS.map((name) => {
      const def = getField(name);
      assert.ok(def, `field ${name} is registered`);
      return def;
    });
    const diffs: string[] = [];
    s.frames.forEach((fr, r) => {
      p.handle(f.wrap(fr.bytes, LINKTYPE_ETHERNET, fr.tsSec, fr.tsNsec));
      defs.forEach((def, c) => {
        const got = def.count(p.d) > 0 ? formatField(def, p.d, 0) : '';
        if (got !== want[r][c]) diffs.push(`frame ${r + 1} ${def.name}: tshark "${want[r][c]}", tcpwatch "${got}"`);
      });
    });
    assert.deepEqual(diffs, []);
  });
}
