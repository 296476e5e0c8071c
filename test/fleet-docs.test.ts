// docs/REMOTE.md's way of sending packets on to OpenSearch or Elasticsearch, run as written: the
// documented pipeline (tcpwatch -T ek | split -l 20000 --filter 'curl … _bulk') taken from the page,
// with the capture read from a file instead of a remote interface, and the cluster replaced by a
// local HTTP server that takes the bulk requests. Every request must be a whole bulk body (index line,
// document, …), and the documents together exactly tshark -T ek's for the same packets, in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CLI, REPO_ROOT, corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { have } from './helpers/system';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : ['tshark', 'mergecap', 'curl', 'split', 'bash'].every(have) ? false : 'needs tshark, mergecap, curl, split and bash';
const COPIES = 10;
const DISPLAY_FILTER = 'ip';

interface Bulk { contentType: string; url: string; method: string; body: string }

/** The documented command: the lines of docs/REMOTE.md's code block that pipes -T ek into the bulk API. */
function documentedBulkCommand(): string {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'REMOTE.md'), 'utf8');
  const m = /^ *(tcpwatch [^\n]*-T ek[^\n]*\| split[^\n]*\\\n[^\n]*_bulk[^\n]*)$/m.exec(doc);
  assert.ok(m !== null, 'docs/REMOTE.md shows the -T ek | split … _bulk pipeline');
  return m[1].replace(/\\\n\s*/, '');
}

test('docs/REMOTE.md: -T ek through split and curl into a bulk API, as documented — whole bulk bodies, tshark -T ek\'s documents', { skip, timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-ek-bulk-'));
  const requests: Bulk[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => {
      requests.push({ contentType: req.headers['content-type'] ?? '', url: req.url ?? '', method: req.method ?? '', body });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"errors":false,"items":[]}');
    });
  });
  try {
    // Enough packets for more than one batch of 20 000 lines (10 000 packets).
    const one = path.join(corpus!, 'valid', 'ja4', 'tls3.pcapng');
    const capture = path.join(dir, 'many.pcapng');
    const mc = spawnSync('mergecap', ['-a', '-w', capture, ...Array<string>(COPIES).fill(one)], { encoding: 'utf8' });
    assert.equal(mc.status, 0, mc.stderr);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;

    const documented = documentedBulkCommand();
    const live = "tcpwatch -i ssh://db1/eth0 -T ek -l 'tcp port 5432'";
    assert.ok(documented.startsWith(live + ' | '), documented);
    // The tcpwatch part as documented, reading the file (a display filter in place of the capture filter).
    const cmd = documented
      .replace(live, `${process.execPath} ${CLI} -r ${capture} -T ek -l -Y '${DISPLAY_FILTER}'`)
      .replace('http://search:9200', `http://127.0.0.1:${port}`);
    const run = spawn('bash', ['-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    run.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const status = await new Promise<number | null>((r) => run.on('close', (code) => r(code)));
    assert.equal(status, 0, err);

    assert.ok(requests.length >= 2, `${requests.length} bulk requests`);
    const docs: Record<string, unknown>[] = [];
    for (const q of requests) {
      assert.equal(q.method, 'POST');
      assert.equal(q.url, '/_bulk');
      assert.equal(q.contentType, 'application/x-ndjson');
      assert.ok(q.body.endsWith('\n'), 'a bulk body ends with a newline');
      const lines = q.body.slice(0, -1).split('\n');
      assert.equal(lines.length % 2, 0, 'each request holds whole pairs: index line, document');
      for (let i = 0; i < lines.length; i += 2) {
        assert.match(lines[i], /^\{"index":\{"_index":"packets-\d{4}-\d{2}-\d{2}","_type":"doc"\}\}$/);
        docs.push(JSON.parse(lines[i + 1]) as Record<string, unknown>);
      }
    }

    const ts = spawnSync('tshark', ['-r', capture, '-Y', DISPLAY_FILTER, '-T', 'ek'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    assert.equal(ts.status, 0, ts.stderr);
    const want = ts.stdout.split('\n').filter((l) => l !== '');
    assert.equal(docs.length * 2, want.length, 'as many documents as tshark -T ek makes');
    const frameNo = (doc: Record<string, unknown>): string => ((doc.layers as Record<string, Record<string, string>>).frame.frame_frame_number);
    for (let k = 0; k < docs.length; k++) {
      assert.equal(JSON.stringify({ index: JSON.parse(want[2 * k]).index }), want[2 * k], 'tshark\'s index line');
      const theirs = JSON.parse(want[2 * k + 1]) as Record<string, unknown>;
      assert.equal(frameNo(docs[k]), frameNo(theirs), `document ${k + 1}: the same frame`);
      assert.equal(docs[k].timestamp, theirs.timestamp, `document ${k + 1}: the same timestamp`);
    }
    assert.ok(docs.length > 10_000, `${docs.length} documents`);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
