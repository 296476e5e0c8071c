// Output never throws on huge values (src/output/text-writer.ts, sinks.ts, details.ts, stdout.ts):
// a value longer than MAX_VALUE_CHARS is cut and ends with "...[cut: N chars]", a packet's text is
// bounded by MAX_PACKET_CHARS, and -T fields streams occurrences instead of joining them, so that
// no string reaches V8's limit (2^29 characters) and no "RangeError: Invalid string length" escapes.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputBuffer } from '../src/output/stdout';
import { cutMark, cutText, MAX_PACKET_CHARS, MAX_VALUE_CHARS, StringBuilder } from '../src/output/text-writer';
import { FieldsSink, JsonSink, TextSink, packetLayers } from '../src/output/sinks';
import { detailsText } from '../src/output/details';
import '../src/fields';
import { defineField, FieldDef, FT } from '../src/fields/registry';
import { dissect } from './helpers/frames';
import { throughFile } from './helpers/output-file';

/** More than V8 lets one string hold (2^29 - 24 characters in Node 20) once joined. */
const OVER_V8 = 2 ** 29;

/** One shared 2 MiB string as every occurrence: memory stays small, the joined text would not. */
const BIG = 'A'.repeat(2 * MAX_VALUE_CHARS);
let hugeCount = 0;
const huge: FieldDef = defineField({
  name: 'hostile.huge', label: 'Huge', type: FT.String, proto: 'frame',
  count: () => hugeCount, text: () => BIG,
});

/** What a sink writes, counted rather than kept (hundreds of megabytes): size, head and tail. */
class Counter {
  size = 0;
  head = '';
  tail = '';
  closed = false;
  write(s: string): void {
    this.size += Buffer.byteLength(s);
    if (this.head.length < 256) this.head += s.slice(0, 256);
    this.tail = (this.tail + s.slice(-256)).slice(-256);
  }
  writeUInt(n: number): void {
    this.write(String(n));
  }
  writeByte(c: number): void {
    this.write(String.fromCharCode(c));
  }
  flush(): void {}
}

function counted(fill: (out: OutputBuffer) => void): Counter {
  const c = new Counter();
  fill(c as unknown as OutputBuffer);
  return c;
}


test('cutText keeps short text whole and cuts long text with the mark; a surrogate pair is never split', () => {
  assert.equal(cutText('abc', 3), 'abc');
  assert.equal(cutText('abcdef', 4), 'abcd...[cut: 2 chars]');
  assert.equal(cutText('ab\ud83d\ude00cd', 3), 'ab...[cut: 4 chars]');
  assert.equal(cutText('x'.repeat(MAX_VALUE_CHARS + 5)), 'x'.repeat(MAX_VALUE_CHARS) + cutMark(5));
  assert.equal(cutText('abc', 0), cutMark(3));
});

test('a string builder keeps its first characters and marks how many it left out', () => {
  const sb = new StringBuilder(10);
  sb.write('0123456');
  sb.write('789abc');
  sb.writeUInt(12345);
  assert.equal(sb.text, '0123456789...[cut: 8 chars]');
  // At the default bound, as many megabytes as a packet could name never throw.
  const big = new StringBuilder();
  for (let i = 0; i < OVER_V8 / BIG.length + 1; i++) big.write(BIG);
  assert.equal(big.text.length, MAX_PACKET_CHARS + cutMark(OVER_V8 + BIG.length - MAX_PACKET_CHARS).length);
});

test(`-T fields: ${OVER_V8 / BIG.length} occurrences of a 2 MiB value are written, each cut, with no string joined`, () => {
  const d = dissect({ payload: 'x' });
  hugeCount = OVER_V8 / BIG.length;
  try {
    const r = counted((out) => {
      const sink = new FieldsSink(out, [huge], { header: false, separator: '\t', occurrence: 'a', aggregator: ',', quote: '"' });
      sink.frame(d);
    });
    const one = MAX_VALUE_CHARS + Buffer.byteLength(cutMark(BIG.length - MAX_VALUE_CHARS));
    assert.equal(r.size, hugeCount * one + (hugeCount - 1) + 2 + 1);
    assert.ok(r.head.startsWith('"AAAA'));
    assert.ok(r.tail.endsWith(`A${cutMark(BIG.length - MAX_VALUE_CHARS)}"\n`));
  } finally {
    hugeCount = 0;
  }
});

test('-T json and ndjson: the values of one packet are bounded together; later ones are the mark alone', () => {
  const d = dissect({ payload: 'x' });
  hugeCount = OVER_V8 / BIG.length;
  try {
    const layers = packetLayers(d, [huge]);
    const values = (layers.frame as Record<string, unknown>)['hostile.huge'] as string[];
    assert.equal(values.length, hugeCount);
    assert.equal(values[0], 'A'.repeat(MAX_VALUE_CHARS) + cutMark(MAX_VALUE_CHARS));
    assert.equal(values.at(-1), cutMark(BIG.length));
    const total = values.reduce((a, v) => a + v.length, 0);
    assert.ok(total <= MAX_PACKET_CHARS + hugeCount * cutMark(BIG.length).length);
    for (const ndjson of [true, false]) {
      const r = counted((out) => {
        const sink = new JsonSink(out, { ndjson, only: [huge] });
        sink.frame(d);
        sink.end();
      });
      assert.ok(r.size > MAX_PACKET_CHARS && r.size < 2 * MAX_PACKET_CHARS, `${r.size} bytes`);
      assert.ok(r.tail.includes(cutMark(BIG.length)));
    }
  } finally {
    hugeCount = 0;
  }
});

test('-V: each details line is cut as Wireshark cuts a label, and the tree of one packet is bounded', () => {
  const d = dissect({ payload: 'x' });
  // Lines of 240 characters, enough of them to pass the packet's bound.
  hugeCount = Math.ceil((2 * MAX_PACKET_CHARS) / 240);
  try {
    const text = detailsText(d);
    assert.ok(text.length <= MAX_PACKET_CHARS + 64);
    // Wireshark keeps 240 bytes of a label: the line is marked and cut to 238.
    const line = /\n {4}(Huge \[truncated\]: A+)\n/.exec(text);
    assert.ok(line, text.slice(0, 2000));
    assert.equal(line[1].length, 238);
    assert.ok(text.endsWith(' chars]'));
    const r = counted((out) => new TextSink(out, { details: true, hex: false, summary: false, timeDigits: () => 6 }).frame(d));
    assert.ok(r.size > MAX_PACKET_CHARS);
    assert.ok(r.head.startsWith('Frame 1'));
  } finally {
    hugeCount = 0;
  }
});

test('the output buffer writes a string far longer than itself in pieces, exactly', () => {
  const s = 'é'.repeat(300_000) + '\ud83d\ude00'.repeat(100_000) + 'z';
  const written = throughFile((out) => out.write(s));
  assert.ok(written.equals(Buffer.from(s)));
});
