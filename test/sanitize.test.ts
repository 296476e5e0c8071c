// The terminal sanitizer: every kind of dangerous text from a packet comes out escaped.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeText, sanitizeBytes, sanitizeLines, isUnsafeCodePoint } from '../src/output/sanitize';

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

// Every invisible format character (Unicode category Cf), by the notation the sanitizer uses for
// control bytes: \xNN below U+0100, \uNNNN in the BMP, \UNNNNNNNN above.
const FORMAT_CHARACTERS: [number, string][] = [
  [0x200b, 'zero-width space'], [0x200c, 'zero-width non-joiner'], [0x200d, 'zero-width joiner'],
  [0x2060, 'word joiner'], [0xfeff, 'zero-width no-break space (BOM)'],
  [0x202a, 'LRE'], [0x202b, 'RLE'], [0x202c, 'PDF'], [0x202d, 'LRO'], [0x202e, 'RLO'],
  [0x2066, 'LRI'], [0x2067, 'RLI'], [0x2068, 'FSI'], [0x2069, 'PDI'],
  [0x200e, 'LRM'], [0x200f, 'RLM'], [0x061c, 'ALM'], [0x00ad, 'soft hyphen'], [0x0600, 'Arabic number sign'],
  [0x2064, 'invisible plus'], [0xfff9, 'interlinear annotation anchor'],
  [0xe0001, 'language tag'], [0xe0041, 'tag latin capital A'], [0x1d173, 'musical symbol begin beam'],
];

for (const [cp, what] of FORMAT_CHARACTERS) {
  const escaped = cp < 0x100 ? `\\x${cp.toString(16)}` : cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
  test(`${what} (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) is escaped as ${escaped} in text and in bytes`, () => {
    const ch = String.fromCodePoint(cp);
    assert.equal(isUnsafeCodePoint(cp), true);
    assert.equal(sanitizeText(`pay${ch}pal`), `pay${escaped}pal`);
    const bytes = Buffer.from(`pay${ch}pal`, 'utf8');
    assert.equal(sanitizeBytes(bytes, 0, bytes.length), `pay${escaped}pal`);
  });
}

test('what the sanitizer writes has no format character at all', () => {
  // Every code point of the BMP and the tag block, in one string.
  let all = '';
  for (let c = 0; c < 0x10000; c++) if (c < 0xd800 || c > 0xdfff) all += String.fromCharCode(c);
  for (let c = 0xe0000; c < 0xe0080; c++) all += String.fromCodePoint(c);
  const out = sanitizeText(all);
  assert.doesNotMatch(out, /[\p{Cf}\p{Cc}\u2028\u2029]/u);
  const bytes = Buffer.from(all, 'utf8');
  assert.doesNotMatch(sanitizeBytes(bytes, 0, bytes.length), /[\p{Cf}\p{Cc}\u2028\u2029]/u);
});

test('visible non-ASCII, emoji and combining marks are left alone', () => {
  for (const s of ['naïve café', 'Ελληνικά', 'עברית', 'مرحبا', '🙂👍', 'e\u0301', '\u00a0nbsp']) assert.equal(sanitizeText(s), s);
});

test('sanitizeLines keeps line breaks and escapes everything else', () => {
  assert.equal(sanitizeLines('alice: hi\nbob: \u202eevil\x1b[2J\n'), 'alice: hi\nbob: \\u202eevil\\x1b[2J\n');
  assert.equal(sanitizeLines('tab\there'), 'tab\\there');
});
