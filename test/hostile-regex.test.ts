// `matches` with patterns and packets chosen to make a backtracking engine run for minutes: tcpwatch
// answers at once, and answers what tshark answers (tshark runs in the test, on a capture the test
// writes). What cannot be matched in linear time is refused with a one-line filter error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import '../src/fields';
import { compileFilter, checkFilter } from '../src/filter';
import { compileByteRegex, MATCH_STEP_LIMIT } from '../src/filter/regex';
import { CLI } from './helpers/corpus';
import { buildFrame, dissect } from './helpers/frames';
import { have } from './helpers/system';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';
import { LINKTYPE } from '../src/decode/link';

const EVIL = 'A'.repeat(41) + 'B';

const PAYLOADS = [
  EVIL, // 1: the classic catastrophic case for ^(A+)+$
  'a'.repeat(10), // 2
  'AAAA', // 3
  'GET /é HTTP/1.1\r\nHost: example.com\r\n\r\n', // 4: é is two bytes
  'GET /É HTTP/1.1\r\n\r\n', // 5
  'line one\nab\nlast\n', // 6
  'x\u00e9y'.normalize(), // 7 (latin1 in the frame: one byte 0xe9)
  'word_boundary here', // 8
];

function writeCapture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-hostile-regex-'));
  const file = path.join(dir, 'frames.pcap');
  const w = openCaptureWriter(file, LINKTYPE.ETHERNET);
  const f = new CapturedFrame();
  PAYLOADS.forEach((p, i) => {
    const payload = i === 3 || i === 4 ? Buffer.from(p, 'utf8') : Buffer.from(p, 'latin1');
    w.write(f.wrap(buildFrame({ sport: 40000 + i, dport: 9, flags: 0x018, payload }), LINKTYPE.ETHERNET, 1700000000 + i));
  });
  w.close();
  return file;
}

const frames = (cmd: string, args: string[]): { out: string; ms: number; status: number | null; stderr: string } => {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { out: r.stdout.trim().split('\n').filter(Boolean).join(','), ms: performance.now() - t0, status: r.status, stderr: r.stderr };
};

test('^(A+)+$ over 41 A and a B: compiled filter answers in well under a second', () => {
  const f = compileFilter('tcp.payload matches "^(A+)+$"');
  const d = dissect({ flags: 0x018, payload: EVIL });
  const t0 = performance.now();
  assert.equal(f(d), false);
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  assert.equal(f(dissect({ flags: 0x018, payload: 'A'.repeat(41) })), true);
  assert.equal(f(dissect({ flags: 0x018, payload: 'a'.repeat(41) })), true, 'case-insensitive by default, as Wireshark');
});

test('tcpwatch -Y matches what tshark -Y matches, including the pathological pattern', { skip: !have('tshark') && 'tshark is not installed' }, () => {
  const file = writeCapture();
  const patterns = [
    '^(A+)+$',
    '(?-i)^a+$',
    '^(a|aa)+$',
    '(x+x+)+y',
    '^GET /..\\s',
    '^GET /.\\s',
    '/[é]\\s',
    '/[é]{2}\\s',
    '/É',
    'ab$',
    '(?m)^ab$',
    '(?s)one.ab',
    'one.ab',
    'last$',
    'last\\z',
    '\\bhere\\b',
    '\\Bary',
    'x\\xe9y',
    '[[:digit:]]|[[:upper:]]{4}',
    'host: example\\.com',
    'a{3,5}$',
    '(?i:g)(?-i:ET)',
    '\\101{3}',
    '[]a]',
    '[^]a]B',
    '(|a)B',
    'A{0}B',
    '(A|B){2,}$',
    'A{2}{',
    '',
  ];
  for (const p of patterns) {
    const filter = `tcp.payload matches ${JSON.stringify(p)}`;
    const ts = frames('tshark', ['-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
    assert.equal(ts.status, 0, `tshark on ${filter}: ${ts.stderr}`);
    const tw = frames(process.execPath, [CLI, '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
    assert.equal(tw.status, 0, `tcpwatch on ${filter}: ${tw.stderr}`);
    assert.equal(tw.out, ts.out, `frames matching ${filter}`);
    if (p === '^(A+)+$') assert.ok(tw.ms < 5000, `the whole tcpwatch run took ${tw.ms.toFixed(0)} ms`);
  }
  // Patterns PCRE2 refuses are refused here too.
  for (const p of ['[\\d-z]', '[a-\\d]', 'A{2}{3}', '[z-a]', 'a**', '(', 'a)', '\\']) {
    const filter = `tcp.payload matches ${JSON.stringify(p)}`;
    const ts = frames('tshark', ['-r', file, '-Y', filter]);
    assert.notEqual(ts.status, 0, `tshark refuses ${filter}`);
    const tw = frames(process.execPath, [CLI, '-r', file, '-Y', filter]);
    assert.equal(tw.status, 2, `tcpwatch refuses ${filter}`);
    assert.match(tw.stderr, /^tcpwatch: display filter error at column 21: invalid regular expression: .*\n$/);
  }
});

test('what cannot run in linear time is refused with one line naming it', () => {
  const refused: [string, RegExp][] = [
    ['(a)\\1', /backreference \(\\1\)/],
    ['(?<n>a)\\k<n>', /backreference \(\\k\)/],
    ['(?=a)a', /lookahead/],
    ['(?!a)b', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['(?>a+)b', /atomic group/],
    ['a++b', /possessive quantifier/],
    ['(a)(?1)', /backreference or recursion/],
    ['(?(1)a|b)', /conditional group/],
    ['(*UTF)a', /\(\*VERB\)/],
  ];
  for (const [p, why] of refused) {
    const c = checkFilter(`tcp.payload matches ${JSON.stringify(p)}`);
    assert.equal(c.ok, false, p);
    assert.equal(c.column, 21, p);
    assert.match(c.error, why, p);
    assert.match(c.error, /time proportional to the packet/, p);
    assert.doesNotMatch(c.error, /\n/);
  }
  assert.match(checkFilter('tcp.payload matches "a{70000}"').error, /number too big in \{\} quantifier/);
  assert.match(checkFilter('tcp.payload matches "(a{1000}){1000}"').error, /too large/);
  assert.match(checkFilter('tcp.payload matches "[b-a]"').error, /range out of order/);
  assert.match(checkFilter(`tcp.payload matches "${'('.repeat(251)}a${')'.repeat(251)}"`).error, /parentheses are too deeply nested \(the limit is 250\)/);
  assert.equal(checkFilter(`tcp.payload matches "${'('.repeat(250)}a${')'.repeat(250)}"`).ok, true);
  assert.match(checkFilter('tcp.payload matches "(?x)a b"').error, /\(\?x\) is not supported/);
});

test('one evaluation has a work budget: past it the answer is "no match", as PCRE2\'s match limit', () => {
  // On the NFA simulation every instruction of this program stays live on every byte of a 64 KiB
  // payload of a's. (The DFA finds that all those bytes lead to one state, and answers at once.)
  const re = compileByteRegex(Buffer.from('(?:a?){3000}b'), { nfaOnly: true });
  const subject = Buffer.alloc(65535, 0x61);
  const t0 = performance.now();
  assert.equal(re.test(subject, 0, subject.length), false);
  const ms = performance.now() - t0;
  assert.ok(re.lastSteps >= MATCH_STEP_LIMIT && re.lastSteps < MATCH_STEP_LIMIT * 1.01, `steps ${re.lastSteps}`);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  // Below the budget the same shape of pattern still answers exactly.
  const small = compileByteRegex(Buffer.from('(?:a?){30}b'), { nfaOnly: true });
  assert.equal(small.test(Buffer.from('aaaab'), 0, 5), true);
  assert.equal(small.test(Buffer.from('aaaa'), 0, 4), false);
});

test('the engine reads only the bytes it is given', () => {
  const re = compileByteRegex(Buffer.from('^abc$'));
  const b = Buffer.from('xxabcxx');
  assert.equal(re.test(b, 2, 3), true);
  assert.equal(re.test(b, 1, 4), false);
  assert.equal(compileByteRegex(Buffer.from('x$')).test(b, 0, 2), true);
  assert.equal(compileByteRegex(Buffer.from('\\bab')).test(b, 2, 3), true, 'a word boundary at the start of the range');
});

test('DFA, NFA simulation and a backtracking engine agree on random patterns and inputs', () => {
  // A small generator: patterns over a, b and c with every construct both engines run, and
  // subjects over a, A, b, c and newline. V8's RegExp is the third opinion (its `.` and `^`
  // agree with PCRE2's on these subjects: no \r, no $).
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const atom = (depth: number): string => {
    switch (rnd(depth > 2 ? 5 : 8)) {
      case 0: return 'a';
      case 1: return 'b';
      case 2: return '.';
      case 3: return ['[ab]', '[^a]', '[a-c]', '\\w', '\\s'][rnd(5)];
      case 4: return 'c';
      case 5: return `(${alt(depth + 1)})`;
      case 6: return `(?:${alt(depth + 1)})`;
      default: return `(${alt(depth + 1)}|${alt(depth + 1)})`;
    }
  };
  const quant = (): string => ['', '', '*', '+', '?', '{2}', '{1,3}', '{0,2}', '{2,}', '*?'][rnd(10)];
  const seq = (depth: number): string => {
    let s = '';
    for (let k = 1 + rnd(3); k > 0; k--) s += atom(depth) + quant();
    return s;
  };
  const alt = (depth: number): string => (rnd(4) === 0 ? `${seq(depth)}|${seq(depth)}` : seq(depth));
  let dfaRuns = 0;
  for (let n = 0; n < 400; n++) {
    const body = (rnd(5) === 0 ? '^' : '') + alt(0);
    const caseless = rnd(2) === 0;
    const pattern = (caseless ? '' : '(?-i)') + body;
    const dfa = compileByteRegex(Buffer.from(pattern));
    const nfa = compileByteRegex(Buffer.from(pattern), { nfaOnly: true });
    const v8 = new RegExp(body, caseless ? 'i' : '');
    if (dfa.dfaActive) dfaRuns++;
    for (let k = 0; k < 25; k++) {
      let subject = '';
      for (let j = rnd(14); j > 0; j--) subject += 'aAbc\n'[rnd(5)];
      const b = Buffer.from(subject, 'latin1');
      const want = v8.test(subject);
      assert.equal(nfa.test(b, 0, b.length), want, `NFA: /${pattern}/ on ${JSON.stringify(subject)}`);
      assert.equal(dfa.test(b, 0, b.length), want, `DFA: /${pattern}/ on ${JSON.stringify(subject)}`);
    }
  }
  assert.ok(dfaRuns > 300, `the DFA ran ${dfaRuns} of the patterns`);
});

test('a pattern whose DFA states never repeat gives the DFA up and keeps its budget', () => {
  // Anchored, each prefix of A's leaves a different set of copies alive: a new state per byte.
  const re = compileByteRegex(Buffer.from('^(?:A?){3000}B'));
  assert.equal(re.dfaActive, true);
  const subject = Buffer.alloc(1400, 0x41);
  const t0 = performance.now();
  assert.equal(re.test(subject, 0, subject.length), false);
  assert.equal(re.dfaActive, false, 'too many states: the NFA simulation runs instead');
  assert.equal(re.test(Buffer.from('AAB'), 0, 3), true);
  assert.equal(re.test(Buffer.from('xAAB'), 0, 4), false);
  const repeating = compileByteRegex(Buffer.from('(?:A?){3000}B'));
  assert.equal(repeating.test(subject, 0, subject.length), false);
  assert.equal(repeating.dfaActive, true, 'unanchored, every byte leads to the same state');
  assert.ok(performance.now() - t0 < 2000, `took ${(performance.now() - t0).toFixed(0)} ms`);
});
