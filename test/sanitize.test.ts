// The terminal sanitizer: every kind of dangerous text from a packet comes out escaped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeText, sanitizeBytes } from '../src/output/sanitize';

const DANGEROUS: [string, string][] = [
  ['\u001b]0;owned\u0007', 'OSC window title with BEL'],
  ['\u001b[2J\u001b[H', 'CSI clear screen, cursor home'],
  ['\u009b31m', 'C1 CSI'],
  ['\u0090qq\u009c', 'C1 DCS ... ST'],
  ['a\u007fb', 'DEL'],
  ['\r\n\t\b\u0000', 'C0 controls'],
  ['user\u202egnp.exe', 'right-to-left override'],
  ['\u2066x\u2069\u200f\u061c', 'bidi isolates and marks'],
  ['\ud800', 'lone surrogate'],
];

for (const [text, what] of DANGEROUS) {
  test(`sanitizeText escapes ${what}`, () => {
    const out = sanitizeText(text);
    assert.doesNotMatch(out, /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
    assert.doesNotMatch(out, /[\ud800-\udfff]/u);
    assert.ok(out.length >= text.length);
  });
}

test('plain text, arrows and real non-ASCII pass unchanged', () => {
  for (const s of ['Client Hello (SNI=example.com)', '46656 → 80 [SYN] Seq=0', 'Grüße, 日本語, 🙂']) assert.equal(sanitizeText(s), s);
});

test('sanitizeBytes: valid UTF-8 passes, invalid bytes and controls are escaped, never reads past the end', () => {
  assert.equal(sanitizeBytes(Buffer.from('Hey'), 0, 3), 'Hey');
  assert.equal(sanitizeBytes(Buffer.from('Grüße'), 0, 7), 'Grüße');
  assert.equal(sanitizeBytes(Buffer.from([0x1b, 0x5b, 0x32, 0x4a]), 0, 4), '\\x1b[2J');
  assert.equal(sanitizeBytes(Buffer.from([0xff, 0xfe, 0x41]), 0, 3), '\\xff\\xfeA');
  assert.equal(sanitizeBytes(Buffer.from([0xc3]), 0, 1), '\\xc3', 'truncated sequence at the end');
  assert.equal(sanitizeBytes(Buffer.from([0xe2, 0x80, 0xae]), 0, 3), '\\u202e', 'RLO encoded in UTF-8');
  assert.equal(sanitizeBytes(Buffer.from([0xc2, 0x9b]), 0, 2), '\\x9b', 'C1 CSI encoded in UTF-8');
  assert.equal(sanitizeBytes(Buffer.from([0xc0, 0xaf]), 0, 2), '\\xc0\\xaf', 'overlong encoding');
  assert.equal(sanitizeBytes(Buffer.from([0xed, 0xa0, 0x80]), 0, 3), '\\xed\\xa0\\x80', 'encoded surrogate');
  assert.equal(sanitizeBytes(Buffer.from('xxHeyxx'), 2, 3), 'Hey', 'stays inside the range');
});
