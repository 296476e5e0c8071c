// HTTP inside decrypted TLS: HPACK against RFC 7541's examples, and HTTP/1.x messages (the HTTP
// protocol over src/http/pdu-stream.ts) and HTTP/2 frames on byte streams cut at awkward places.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HpackDecoder, huffmanDecode, HUFFMAN_CODES } from '../src/http/hpack';
import { PduBudget, PduStream } from '../src/http/pdu-stream';
import { http, HttpConversation } from '../src/protocols/http';
import { HttpMessage } from '../src/protocols/http/message';
import { Dissection } from '../src/decode/dissection';
import { CLIENT_PREFACE, Http2Parser } from '../src/http/http2';
import type { Http2Frame } from '../src/http/http-info';
import { h2frame } from '../scripts/attacks/hpack-bomb';

test('HPACK: RFC 7541 Appendix C examples, and the canonical Huffman code', () => {
  assert.equal(HUFFMAN_CODES[0].toString(16), '1ff8'); // Appendix B, first and last rows
  assert.equal(HUFFMAN_CODES[256].toString(16), '3fffffff');
  assert.equal(HUFFMAN_CODES[0x30], 0); // '0'
  assert.equal(HUFFMAN_CODES[0x20].toString(16), '14'); // ' '
  assert.equal(huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4ff', 'hex'), 0, 12)!.toString(), 'www.example.com'); // C.4.1
  assert.equal(huffmanDecode(Buffer.from('a8eb10649cbf', 'hex'), 0, 6)!.toString(), 'no-cache'); // C.4.2
  assert.equal(huffmanDecode(Buffer.from('f1e3c2e5f23a6ba0ab90f4fe', 'hex'), 0, 12), null, 'padding must be all ones');
  // C.4: three requests sharing one dynamic table
  const d = new HpackDecoder();
  const block = (hex: string) => { const b = Buffer.from(hex, 'hex'); return d.decode(b, 0, b.length); };
  assert.deepEqual(block('828684418cf1e3c2e5f23a6ba0ab90f4ff'), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']]);
  assert.deepEqual(block('828684be5886a8eb10649cbf'), [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']]);
  assert.deepEqual(block('828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf'), [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']]);
  // a block referring past the table breaks the decoder for good rather than guessing
  assert.equal(block('ff00'), null);
  assert.equal(block('82'), null);
});

/**
 * Feed `text` to one direction's PDU stream in records of `step` bytes, a frame each; every HTTP
 * message dissected, as the frame that completed it shows it: [frame, first line].
 */
function parse1(stream: PduStream, text: string, step: number, d: Dissection, dir: number): [number, HttpMessage][] {
  const out: [number, HttpMessage][] = [];
  const b = Buffer.from(text, 'latin1');
  for (let i = 0; i < b.length; i += step) {
    d.reset();
    d.number++;
    d.tcp.direction = dir;
    stream.feed(d, Buffer.from(b.subarray(i, i + step)));
    const layer = http.layer(d);
    if (layer.frame === d.number) for (let k = 0; k < layer.count; k++) out.push([d.number, Object.assign(new HttpMessage(), layer.messages[k])]);
  }
  return out;
}

/** Both directions of one decrypted HTTP/1.x connection. */
function connection(): [PduStream, PduStream] {
  const conv = http.spec.tcpPdu!.newConversation!() as HttpConversation;
  conv.secure = true;
  return [new PduStream(http as never, conv), new PduStream(http as never, conv)];
}

test('HTTP/1.1 in TLS: requests and responses are found across any cut of the records, bodies by length, chunks and HEAD', () => {
  const requests =
    'GET /a?x=1 HTTP/1.1\r\nHost: example.test\r\n\r\n' +
    'POST /form HTTP/1.1\r\nhost: example.test\r\ncontent-length: 5\r\n\r\nhello' +
    'HEAD /h HTTP/1.1\r\nHost: h.test\r\n\r\n' +
    'PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
  const responses =
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc' +
    'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwxyz\r\n0\r\nTrailer: t\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n' + // HEAD: no body despite the length
    'HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n';
  for (const step of [1, 2, 7, 1000]) {
    const [client, server] = connection();
    const d = new Dissection();
    const req = parse1(client, requests, step, d, 0);
    assert.deepEqual(req.map(([, m]) => [m.method, m.uri, m.version, m.host, m.fullUri]), [
      ['GET', '/a?x=1', 'HTTP/1.1', 'example.test', 'https://example.test/a?x=1'], ['POST', '/form', 'HTTP/1.1', 'example.test', 'https://example.test/form'],
      ['HEAD', '/h', 'HTTP/1.1', 'h.test', 'https://h.test/h'], ['PUT', '/c', 'HTTP/1.1', '', ''],
    ], `step ${step}`);
    const res = parse1(server, responses, step, d, 1);
    assert.deepEqual(res.map(([, m]) => [m.code, m.phrase, m.end - m.bodyOff]), [[200, 'OK', 3], [201, 'Created', 32], [200, 'OK', 0], [404, 'Not Found', 0]], `step ${step}`);
    // each message is dissected in the record that completes it
    assert.equal(res.at(-1)![0], d.number, `step ${step}`);
  }
});

test('HTTP/1.x in TLS: bytes that start no message are a Continuation; a response without a length is never whole', () => {
  const [client, server] = connection();
  const d = new Dissection();
  const first = parse1(client, 'GET / HTTP/1.1\r\n\r\n', 1000, d, 0);
  assert.equal(first.length, 1);
  const more = parse1(client, 'not a request\n', 1000, d, 0);
  assert.deepEqual(more.map(([, m]) => [m.continuation, m.buf.toString('latin1', m.bodyOff, m.end)]), [[true, 'not a request\n']]);
  assert.equal(http.spec.info!(d, http.layer(d)), 'Continuation');
  // HTTP/1.0 to the close: tshark's TLS reassembly never completes it, nor does tcpwatch's
  assert.deepEqual(parse1(server, 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until close', 5, d, 1), []);
});

test('HTTP/2: preface, frames cut anywhere, HEADERS with padding and priority, CONTINUATION', () => {
  const frame = h2frame;
  // RFC 7541 C.4.1 and C.4.2 blocks; the second split over HEADERS (padded, with priority) + CONTINUATION
  const b1 = Buffer.from('828684418cf1e3c2e5f23a6ba0ab90f4ff', 'hex');
  const b2 = Buffer.from('828684be5886a8eb10649cbf', 'hex');
  const stream = Buffer.concat([
    CLIENT_PREFACE,
    frame(4, 0, 0, Buffer.alloc(6)), // SETTINGS
    frame(1, 0x4 | 0x1, 1, b1), // HEADERS, END_HEADERS | END_STREAM
    frame(1, 0x8 | 0x20, 3, Buffer.concat([Buffer.of(2), Buffer.alloc(5), b2.subarray(0, 5), Buffer.alloc(2)])),
    frame(9, 0x4, 3, b2.subarray(5)),
    frame(0, 0x1, 3, Buffer.from('data!')),
  ]);
  for (const step of [1, 3, 9, 10000]) {
    const p = new Http2Parser(true);
    const out: Http2Frame[] = [];
    for (let i = 0; i < stream.length; i += step) p.feed(stream.subarray(i, i + step), out);
    assert.equal(p.broken, false);
    assert.deepEqual(out.map((f) => [f.type, f.streamId, f.length]), [[4, 0, 6], [1, 1, 17], [1, 3, 13], [9, 3, 7], [0, 3, 5]], `step ${step}`);
    assert.deepEqual(out[1].headers!.map((h) => h.join(': ')), [':method: GET', ':scheme: http', ':path: /', ':authority: www.example.com']);
    assert.equal(out[2].headers, null, 'the block ends in the CONTINUATION');
    assert.deepEqual(out[3].headers!.at(-1), ['cache-control', 'no-cache']);
  }
  const notH2 = new Http2Parser(true);
  notH2.feed(Buffer.from('GET / HTTP/1.1\r\n'), []);
  assert.equal(notH2.broken, true);
});

test('HTTP/1.x in TLS: a PDU claiming a huge length holds memory as bytes come, within the capture\'s budget', () => {
  const budget = new PduBudget(256 * 1024);
  const conv = http.spec.tcpPdu!.newConversation!() as HttpConversation;
  conv.secure = true;
  const server = new PduStream(http as never, conv, budget);
  const d = new Dissection();
  // 15 MB claimed: the first buffer is a few KiB, not the claim
  parse1(server, 'HTTP/1.1 200 OK\r\nContent-Length: 15000000\r\n\r\n', 1000, d, 1);
  assert.ok(budget.inUse <= 8192, `${budget.inUse} bytes held for a 46-byte start`);
  // 1 MB of body in 16 KiB records: collected up to the budget, then passed over by its length
  let found = 0;
  for (let i = 0; i < 64; i++) {
    found += parse1(server, 'x'.repeat(16384), 16384, d, 1).length;
    assert.ok(budget.inUse <= budget.limit, `${budget.inUse} bytes held`);
  }
  assert.equal(found, 0);
  server.release();
  assert.equal(budget.inUse, 0);
});
