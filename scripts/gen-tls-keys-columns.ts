// Regenerates test/fixtures/tls-keys-columns.json: tshark's Protocol and Info columns of every
// corpus capture that comes with a key log (test/helpers/tls-keys.ts), read with that key log.
// Run after the corpus changes:
//
//   npx tsc -p tsconfig.json && TCPWATCH_CORPUS=/path/to/corpus node dist/scripts/gen-tls-keys-columns.js
//
// It names the tshark version it used in the file; the corpus's expected tables come from tshark
// 4.0.17 (Debian 12), and so should this one.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { corpusDir } from '../test/helpers/corpus';
import { keyedCaptures } from '../test/helpers/tls-keys';

const corpus = corpusDir();
if (corpus === null) throw new Error('no corpus: set TCPWATCH_CORPUS');
const out = resolve(__dirname, '..', '..', 'test', 'fixtures', 'tls-keys-columns.json');
const version = execFileSync('tshark', ['--version'], { encoding: 'utf8' }).split('\n')[0];
const golden: { tool: string; command: string; captures: Record<string, [string, string][]> } = {
  tool: version,
  command: 'tshark -n -r FILE -o tls.keylog_file:KEYLOG -T fields -e _ws.col.Protocol -e _ws.col.Info',
  captures: {},
};
for (const c of keyedCaptures(corpus)) {
  const file = join(corpus, 'tls-keys', c.pcap);
  const text = execFileSync('tshark', ['-n', '-r', file, '-o', `tls.keylog_file:${join(corpus, 'tls-keys', c.keylog)}`, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  golden.captures[c.pcap] = text.replace(/\n$/, '').split('\n').map((line) => line.split('\t') as [string, string]);
  console.log(`${c.pcap}: ${golden.captures[c.pcap].length} frames`);
}
writeFileSync(out, JSON.stringify(golden, null, 0) + '\n');
console.log(`wrote ${out}`);
