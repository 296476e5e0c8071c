// The everyday protocols in depth (DHCP's options, NTP's header and control messages, RIPng, HTML form bodies …):
// every frame of the corpus (valid/ and tls-keys/, read as one concatenation) that tshark 4.0 shows
// one of them in is read by tcpwatch and by tshark in this test, and the protocol's -V subtree (its
// text, line by line) and its PDML nodes and nesting must be tshark's on every such frame.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { corpusDir, listFiles, NO_CORPUS_REASON } from './helpers/corpus';
import { withConcatenated } from './helpers/concatenated';
import { runCli, runCommand } from './helpers/parallel';
import { readPdml } from './helpers/pdml';
import { have } from './helpers/system';

const corpus = corpusDir();
const skip = corpus === null ? NO_CORPUS_REASON : !have('tshark') ? 'needs tshark' : false;

/**
 * A protocol: its PDML name, the first words of its -V heading, the frames compared (tshark's
 * display filter) and how many corpus frames that is at least.
 */
interface Depth { name: string; heading: string; frames: string; least: number }
const PROTOCOLS: readonly Depth[] = [
  { name: 'dhcp', heading: 'Dynamic Host Configuration Protocol', frames: 'dhcp', least: 49 },
  // the time modes (16 corpus frames) and control messages (mode 6, 21 frames: read status and read variables)
  { name: 'ntp', heading: 'Network Time Protocol', frames: 'ntp', least: 37 },
  { name: 'ripng', heading: 'RIPng', frames: 'ripng', least: 2 },
  { name: 'urlencoded-form', heading: 'HTML Form URL Encoded', frames: 'urlencoded-form', least: 1 },
  { name: 'nbss', heading: 'NetBIOS Session Service', frames: 'nbss', least: 1 },
];

/** Per frame of -V text, the lines of each top-level block whose heading starts with `heading`, trailing blank lines cut. */
function blocks(text: string, heading: string): string[][] {
  return text.split(/\n(?=Frame \d+: )/).map((frame) => {
    const out: string[] = [];
    let inside = false;
    for (const line of frame.split('\n')) {
      if (/^\S/.test(line)) inside = line.startsWith(heading);
      if (inside) out.push(line);
    }
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  });
}

test('the -V subtrees and PDML nodes of DHCP, NTP, RIPng, NBSS and HTML form bodies are tshark\'s on every corpus frame that has them', { skip, timeout: 300_000 }, async (t) => {
  const files = [
    ...listFiles(path.join(corpus!, 'valid'), (n) => /\.pcap(ng)?$/.test(n)),
    ...listFiles(path.join(corpus!, 'tls-keys'), (n) => /\.pcap(ng)?$/.test(n)),
  ];
  await withConcatenated(files, async ({ file, where }) => {
    for (const p of PROTOCOLS) {
      const numbers = (await runCommand('tshark', ['-n', '-r', file, '-Y', p.frames, '-T', 'fields', '-e', 'frame.number'])).stdout.trim().split('\n').filter(Boolean);
      assert.ok(numbers.length >= p.least, `${p.name}: ${numbers.length} corpus frames`);
      const select = ['-r', file, '-Y', numbers.map((n) => `frame.number == ${n}`).join(' || ')];
      const [oursV, theirsV, oursX, theirsX] = await Promise.all([
        runCli([...select, '-V']), runCommand('tshark', ['-n', ...select, '-V']),
        runCli([...select, '-T', 'pdml']), runCommand('tshark', ['-n', ...select, '-T', 'pdml']),
      ]);
      assert.equal(oursV.status, 0, oursV.stderr);
      const want = blocks(theirsV.stdout, p.heading), got = blocks(oursV.stdout, p.heading);
      const wantX = readPdml(theirsX.stdout), gotX = readPdml(oursX.stdout);
      assert.equal(got.length, want.length, p.name);
      const wrong: string[] = [];
      let same = 0;
      for (let i = 0; i < want.length; i++) {
        const nodes = (f: typeof wantX[number] | undefined): string => JSON.stringify((f ?? []).filter((x) => x.name === p.name).map((x) => x.nodes));
        if (got[i].join('\n') === want[i].join('\n') && nodes(gotX[i]) === nodes(wantX[i])) { same++; continue; }
        const k = got[i].findIndex((line, j) => line !== want[i][j]);
        if (wrong.length < 5) wrong.push(`${where(Number(numbers[i]))}: tshark "${want[i][k] ?? want[i][got[i].length]}", tcpwatch "${got[i][k] ?? ''}"`);
      }
      t.diagnostic(`${p.name}: ${same}/${want.length} frames with tshark's subtree`);
      assert.deepEqual(wrong, [], p.name);
    }
  });
});
