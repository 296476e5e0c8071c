// Regenerates test/fixtures/tcp-analysis-golden.json: tshark's reading of the crafted TCP
// conversations in test/helpers/tcp-scenarios.ts (sequence analysis findings, relative numbers,
// windows, Info). Run after changing a scenario:
//
//   npx tsc -p tsconfig.json && node dist/scripts/gen-tcp-analysis-golden.js
//
// It names the tshark version it used in the file; the expected tables of the corpus come from
// tshark 4.0.17 (Debian 12), and so should this one.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openCaptureWriter } from '../src/capture/file-writer';
import { CapturedFrame } from '../src/capture/frame';
import { scenarios, GOLDEN_FIELDS, LINKTYPE_ETHERNET } from '../test/helpers/tcp-scenarios';

const out = resolve(__dirname, '..', '..', 'test', 'fixtures', 'tcp-analysis-golden.json');
const version = execFileSync('tshark', ['--version'], { encoding: 'utf8' }).split('\n')[0];
const dir = mkdtempSync(join(tmpdir(), 'tcpwatch-golden-'));
const golden: { tool: string; command: string; fields: string[]; scenarios: Record<string, string[][]> } = {
  tool: version,
  command: 'tshark -n -r FILE -o tcp.relative_sequence_numbers:TRUE -o tcp.analyze_sequence_numbers:TRUE -T fields -E occurrence=f -e FIELD ...',
  fields: GOLDEN_FIELDS,
  scenarios: {},
};
try {
  for (const s of scenarios()) {
    const file = join(dir, `${s.name}.pcap`);
    const w = openCaptureWriter(file, LINKTYPE_ETHERNET, 'pcap');
    const f = new CapturedFrame();
    for (const fr of s.frames) w.write(f.wrap(fr.bytes, LINKTYPE_ETHERNET, fr.tsSec, fr.tsNsec));
    w.close();
    const args = ['-n', '-r', file, '-o', 'tcp.relative_sequence_numbers:TRUE', '-o', 'tcp.analyze_sequence_numbers:TRUE', '-T', 'fields', '-E', 'occurrence=f'];
    for (const name of GOLDEN_FIELDS) args.push('-e', name);
    const text = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    golden.scenarios[s.name] = text.replace(/\n$/, '').split('\n').map((line) => line.split('\t'));
    console.log(`${s.name}: ${s.frames.length} frames`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(out, JSON.stringify(golden, null, 1) + '\n');
console.log(`wrote ${out} (${version})`);
