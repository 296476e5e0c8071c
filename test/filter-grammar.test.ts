// The grammar of display filters (tokens, precedence, slices) and the messages for mistakes: what
// is wrong and at which column, as the CLI prints it and as the UI's filter prompt marks it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../src/fields';
import { checkFilter, compileFilter, DisplayFilterError, parseFilter } from '../src/filter';
import { tokenize, T } from '../src/filter/lexer';
import { UsageError } from '../src/errors';
import { dissect } from './helpers/frames';

test('words keep Wireshark\'s unquoted literals whole', () => {
  const words = (s: string): string[] => tokenize(s).filter((t) => t.t === T.Word).map((t) => t.text);
  assert.deepEqual(words('eth.src == aa-bb-cc-dd-ee-ff'), ['eth.src', 'aa-bb-cc-dd-ee-ff']);
  assert.deepEqual(words('ipv6.addr == fe80::1/64'), ['ipv6.addr', 'fe80::1/64']);
  assert.deepEqual(words('ip.addr==10.0.0.0/8'), ['ip.addr', '10.0.0.0/8']);
  assert.deepEqual(words('tcp.port in {1..1024}'), ['tcp.port', '1', '1024']);
  // Subtraction needs a space before the minus; `tcp.len/2` divides.
  assert.deepEqual(tokenize('tcp.len -1').map((t) => t.t), [T.Word, T.Minus, T.Word, T.End]);
  assert.deepEqual(words('tcp.len-1'), ['tcp.len-1']);
  assert.deepEqual(tokenize('tcp.len/2').map((t) => t.t), [T.Word, T.Slash, T.Word, T.End]);
  assert.deepEqual(tokenize('a !== b ~= c ~ d').filter((t) => t.t === T.Rel).map((t) => t.text), ['!==', '!==', 'matches']);
  const s = tokenize('"a\\x41\\101\\n\\"\\u00e9"')[0];
  assert.deepEqual([...s.bytes!], [0x61, 0x41, 0x41, 0x0a, 0x22, 0xc3, 0xa9]);
  assert.equal(tokenize('r"\\d+\\"x"')[0].bytes!.toString(), '\\d+\\"x');
});

test('precedence: not over and over xor over or; arithmetic inside a test', () => {
  const e = parseFilter('a or b xor c and not d');
  assert.equal(e.k, 'or');
  const shape = (x: ReturnType<typeof parseFilter>): string => {
    switch (x.k) {
      case 'or': case 'and': case 'xor': return `(${shape(x.a)} ${x.k} ${shape(x.b)})`;
      case 'not': return `!${shape(x.a)}`;
      case 'exists': return x.v.k === 'word' ? x.v.text : '?';
      default: return x.k;
    }
  };
  assert.equal(shape(e), '(a or (b xor (c and !d)))');
  assert.equal(shape(parseFilter('a and b or not c or d and not e or f')), '((((a and b) or !c) or (d and !e)) or f)');
  const cmp = parseFilter('x + 2 * y & 3 == 4');
  assert.ok(cmp.k === 'cmp' && cmp.a.k === 'arith' && cmp.a.op === '&');
});

test('slices: [i:j] [i-j] [i] [:j] [i:] and lists', () => {
  const ranges = (f: string): unknown => {
    const e = parseFilter(f);
    assert.ok(e.k === 'exists' && e.v.k === 'slice');
    return e.v.ranges;
  };
  assert.deepEqual(ranges('frame[1:2]'), [{ start: 1, len: 2, end: null }]);
  assert.deepEqual(ranges('frame[1-2]'), [{ start: 1, len: -1, end: 2 }]);
  assert.deepEqual(ranges('frame[-4]'), [{ start: -4, len: 1, end: null }]);
  assert.deepEqual(ranges('frame[:3]'), [{ start: 0, len: 3, end: null }]);
  assert.deepEqual(ranges('frame[9:]'), [{ start: 9, len: -1, end: null }]);
  assert.deepEqual(ranges('frame[1,3-5, 9:]'), [{ start: 1, len: 1, end: null }, { start: 3, len: -1, end: 5 }, { start: 9, len: -1, end: null }]);
});

function rejects(filter: string, column: number, message: RegExp): void {
  const c = checkFilter(filter);
  assert.equal(c.ok, false, `${filter} should be refused`);
  assert.equal(c.column, column, `${filter}: column of "${c.error}"`);
  assert.match(c.error, message, filter);
  assert.throws(() => compileFilter(filter), (e: unknown) => e instanceof DisplayFilterError && e instanceof UsageError &&
    e.message === `display filter error at column ${column}: ${c.error}`);
}

test('unknown fields are named, with the closest registered name', () => {
  rejects('tcp.prot == 1', 1, /^unknown field "tcp\.prot" \(did you mean "tcp\.port"\?\)$/);
  rejects('ip.src == 1.2.3.4 && tcp.prot == 1', 22, /unknown field "tcp\.prot" \(did you mean "tcp\.port"\?\)/);
  rejects('tcp.srcport == tcp.dstprot', 16, /unknown field "tcp\.dstprot" \(did you mean "tcp\.dstport"\?\)/);
  rejects('tpc', 1, /unknown field "tpc" \(did you mean "tcp"\?\)/);
  rejects('not ip.dts', 5, /unknown field "ip\.dts"/);
  rejects('tcp.payload contians "x"', 13, /unexpected "contians"/);
  rejects('len(tcp.paylod) > 1', 5, /unknown field "tcp\.paylod" \(did you mean "tcp\.payload"\?\)/);
  rejects('frobnicate(tcp)', 1, /unknown function frobnicate\(\)/);
});

test('type mismatches say what the field is and what the value is', () => {
  rejects('tcp.port == "abc"', 13, /tcp\.port is an unsigned integer and cannot be compared with the string "abc"/);
  rejects('tcp.port == abc', 13, /abc is not a valid number for tcp\.port/);
  rejects('frame.len > 10.5', 13, /10\.5 is not a whole number/);
  rejects('ip.addr == 80', 12, /80 is not an IPv4 address/);
  rejects('ip.addr == example.com', 12, /unknown field "example\.com"/);
  rejects('ip.src == 10.1.2.3/33', 11, /netmask bits .* 32 or fewer, not 33/);
  rejects('ipv6.src == fe80::/129', 13, /128 or fewer/);
  rejects('eth.addr == ff:ff:ff', 13, /has 3 bytes; an Ethernet address has 6/);
  rejects('tcp.flags.syn == true', 18, /not a boolean/);
  rejects('tcp.srcport contains 50', 1, /cannot be searched with "contains"/);
  rejects('ip.src matches "^1"', 1, /cannot be matched with a regular expression/);
  rejects('tcp.payload matches 47', 21, /must be a double-quoted string/);
  rejects('tcp.srcport[0] == 00', 1, /cannot be sliced/);
  rejects('tcp.payload[0:2] == 0x1603', 21, /more than one byte/);
  rejects('tcp.payload[0:3] == 16:3:1', 21, /not a byte sequence/);
  rejects('tcp.port == ip.src', 13, /tcp\.port is an unsigned integer and cannot be compared with ip\.src/);
  rejects('upper(tcp.payload) contains "X"', 7, /upper\(\) takes a string field/);
  rejects('1 == 2', 3, /neither side of "==" is a field/);
  rejects('"tcp"', 1, /is a value, not a field/);
});

test('syntax mistakes: parentheses, trailing words, unfinished filters', () => {
  rejects('(tcp.port == 80', 1, /unbalanced parenthesis: "\(" is never closed/);
  rejects('((tcp) or udp', 1, /unbalanced parenthesis/);
  rejects('tcp.port == 80)', 15, /unbalanced parenthesis: "\)" without "\("/);
  rejects('tcp.port == 80 80', 16, /unexpected "80"/);
  rejects('tcp udp', 5, /unexpected "udp"/);
  rejects('tcp.port ==', 12, /unexpected end of filter/);
  rejects('tcp and', 8, /unexpected end of filter/);
  rejects('tcp AND udp', 5, /unexpected "AND"/);
  rejects('tcp.port in {443 80}', 18, /"," or "}"/);
  rejects('tcp.port in {80..}', 18, /unexpected "}"/);
  rejects('tcp.payload contains "abc', 22, /unterminated string/);
  rejects('tcp.payload contains "\\q"', 23, /\\q is not a valid escape/);
  rejects('tcp.payload[1:2', 12, /"\[" is never closed/);
  rejects('tcp.payload[a] == 1', 13, /is not a slice/);
  rejects('tcp.payload matches "("', 21, /invalid regular expression/);
  rejects('tcp.payload matches "(?x)a b"', 21, /\(\?x\) is not supported/);
  rejects('tcp.port#2 == 443', 9, /layer operator "#" is not supported/);
  rejects('tcp.port == ${tcp.port}', 13, /field references/);
  rejects('tcp.port == 80 @', 16, /unexpected character "@"/);
});

test('checkFilter reports success and an empty filter matches every frame', () => {
  assert.deepEqual(checkFilter('tcp.port == 443'), { ok: true, error: '', column: 0 });
  assert.deepEqual(checkFilter(''), { ok: true, error: '', column: 0 });
  assert.equal(compileFilter('   ')(dissect({ udp: true })), true);
});

test('very long or deeply nested filters compile or are refused, never overflow the stack', () => {
  const d = dissect({ sport: 1234, dport: 80 });
  // Tools write long lists of alternatives; thousands of terms compile to one filter.
  const many = [...Array.from({ length: 4999 }, (_, i) => `tcp.port == ${10000 + i}`), 'tcp.port == 80'].join(' or ');
  assert.equal(compileFilter(many)(d), true);
  assert.equal(compileFilter(Array(3000).fill('tcp.port == 80').join(' and '))(d), true);
  assert.equal(compileFilter(Array(101).fill('tcp').join(' xor '))(d), true);
  assert.equal(compileFilter('('.repeat(200) + 'tcp' + ')'.repeat(200))(d), true);
  rejects('('.repeat(300) + 'tcp' + ')'.repeat(300), 257, /nests more than 256 levels deep/);
  rejects('!'.repeat(10000) + 'tcp', 257, /nests more than 256 levels deep/);
  rejects('tcp.port == ' + Array(20000).fill('1').join(' + '), 1, /too large/);
});

test('words that name Object.prototype\'s properties are plain words, not keywords', () => {
  for (const w of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    const toks = tokenize(`${w} == 1`);
    assert.equal(toks[0].t, T.Word, w);
    assert.equal(toks[0].text, w);
    rejects(`${w} == 1`, 1, new RegExp(`^unknown field "${w}"`));
    rejects(`tcp.port ${w} 1`, 10, new RegExp(`unexpected "${w}"`));
  }
  rejects('tcp.payload contains "\\constructor"', 23, /\\c is not a valid escape/);
});

test('numbers beyond what a field or tcpwatch can hold are refused, as tshark refuses them', () => {
  // tshark 4.0: "…" causes an integer overflow. / "…" too big for this field, maximum N.
  rejects('tcp.port == 99999999999999999999999', 13, /^"99999999999999999999999" causes an integer overflow/);
  rejects(`tcp.port == ${'9'.repeat(400)}`, 13, /causes an integer overflow/);
  rejects('frame.len == 9007199254740993', 14, /^"9007199254740993" too big for this field, maximum 4294967295$/);
  rejects('tcp.port == 0xffffffffffffffffff', 13, /causes an integer overflow/);
  rejects('tcp.port in {1..99999999999999999999}', 17, /causes an integer overflow/);
  rejects('len(tcp.payload) > 99999999999999999999', 20, /causes an integer overflow/);
  rejects('tcp.flags == 0x10000', 14, /^"0x10000" too big for this field, maximum 65535$/);
  rejects('ip.flags == 0x100', 13, /^"0x100" too big for this field, maximum 255$/);
  rejects('frame.time_delta == 1e400', 21, /"1e400" is not a valid time/);
  // Within range they compile, and the largest exact integer still compares exactly.
  assert.equal(checkFilter('ipv6.flow == 0x100000').ok, true, 'ipv6.flow is a 24-bit field (FT_UINT24), shown with five digits');
  assert.equal(checkFilter('frame.len == 4294967295').ok, true, 'the largest FT_UINT32');
  rejects('frame.len == 4294967296', 14, /^"4294967296" too big for this field, maximum 4294967295$/);
  rejects('tcp.port == 99999', 13, /^"99999" too big for this field, maximum 65535$/);
});

test('a long word of colons before a slash is read in linear time', () => {
  const t0 = performance.now();
  const c = checkFilter(`ipv6.addr == ${':'.repeat(200000)}g/1`);
  assert.equal(c.ok, false);
  assert.equal(c.column, 14);
  assert.ok(performance.now() - t0 < 2000, `took ${(performance.now() - t0).toFixed(0)} ms`);
});

test('slice offsets beyond 2^53 are refused; a pasted 100 KB unknown name is refused at once', () => {
  rejects('tcp.payload[99999999999999999999:] == 1', 13, /^slice offset 99999999999999999999 is out of range$/);
  rejects('tcp.payload[1-99999999999999999999] == 1', 13, /slice offset 99999999999999999999 is out of range/);
  rejects('tcp.payload[-99999999999999999999] == 1', 13, /slice offset -99999999999999999999 is out of range/);
  const t0 = performance.now();
  const c = checkFilter(`a${'.b'.repeat(60000)}`);
  assert.equal(c.ok, false);
  assert.match(c.error, /^unknown field "a\.b\.b/);
  assert.doesNotMatch(c.error, /did you mean/);
  assert.ok(performance.now() - t0 < 1000, `took ${(performance.now() - t0).toFixed(0)} ms`);
  // Short names still get their suggestion.
  rejects('tcp.srcprt == 1', 1, /did you mean "tcp\.srcport"/);
});
