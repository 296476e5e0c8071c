// Writes test/fixtures/filters/tshark-matches.json: for every filter in test/helpers/filter-cases.ts
// and every capture in ../shared/corpus/valid, the frames that tshark 4.0 shows with
//
//   tshark -n -r FILE -Y FILTER -T fields -e frame.number
//
// and test/fixtures/filters/tshark-rejects.json: tshark's error for each filter it refuses.
//
// Starting tshark costs about 0.25 s, and filters × captures would be thousands of runs, so filters
// that look at one frame at a time run once over all captures concatenated by `mergecap -a` and the
// frame numbers are split back per capture (a sample is checked against per-file runs, and the
// script stops if any differ). Filters whose answer depends on earlier frames (streams, analysis,
// relative times) run on each capture alone.
//
// Cases already in the fixture with the same filter, made by the same tshark from captures with the
// same frame counts, are kept without running tshark again (--all runs everything).
//
// Run: npx tsc -p tsconfig.json && node dist/scripts/gen-filter-fixtures.js [--all] [--verify-all]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { corpusDir, listFiles, REPO_ROOT } from '../test/helpers/corpus';
import { FILTER_CASES, REJECTED_FILTERS } from '../test/helpers/filter-cases';

const OUT_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'filters');
const TSHARK_ARGS = ['-n', '-o', 'tcp.relative_sequence_numbers:TRUE', '-o', 'tcp.analyze_sequence_numbers:TRUE'];

function run(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tsharkFrames(file: string, filter: string): number[] {
  const r = run('tshark', [...TSHARK_ARGS, '-r', file, '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
  if (r.status !== 0) throw new Error(`tshark failed on ${file} with ${filter}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map(Number);
}

/** 1,2,3,5,7,8 → "1-3,5,7-8": the fixture stays small and readable. */
export function toRanges(xs: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < xs.length;) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(i === j ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function main(): void {
  const verifyAll = process.argv.includes('--verify-all');
  const rerunAll = process.argv.includes('--all');
  const corpus = corpusDir();
  if (!corpus) throw new Error('the corpus is needed: ../shared/corpus or $TCPWATCH_CORPUS');
  const validDir = path.join(corpus, 'valid');
  const files = listFiles(validDir, (n) => /\.(pcap|pcapng)$/.test(n));
  const rel = (f: string): string => path.relative(validDir, f);
  const version = run('tshark', ['--version']).stdout.split('\n')[0].trim();
  console.log(`${version}; ${files.length} captures; ${FILTER_CASES.length} filters`);

  const frameCounts: Record<string, number> = {};
  for (const f of files) frameCounts[rel(f)] = tsharkFrames(f, '').length;

  type CaseOut = { filter: string; tshark?: string; stateful: boolean; matches: Record<string, string> };
  const previous = new Map<string, CaseOut>();
  const fixturePath = path.join(OUT_DIR, 'tshark-matches.json');
  if (!rerunAll && fs.existsSync(fixturePath)) {
    const old = JSON.parse(fs.readFileSync(fixturePath, 'utf8')) as { tshark: string; frameCounts: Record<string, number>; cases: CaseOut[] };
    if (old.tshark === version && JSON.stringify(old.frameCounts) === JSON.stringify(frameCounts)) {
      for (const c of old.cases) previous.set(JSON.stringify([c.filter, c.tshark ?? null, c.stateful]), c);
    }
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-filters-'));
  const merged = path.join(tmp, 'all.pcapng');
  const m = run('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...files]);
  if (m.status !== 0) throw new Error(`mergecap failed: ${m.stderr}`);
  const firstFrame: number[] = [];
  let total = 0;
  for (const f of files) { firstFrame.push(total + 1); total += frameCounts[rel(f)]; }
  const mergedCount = tsharkFrames(merged, '').length;
  if (mergedCount !== total) throw new Error(`merged capture has ${mergedCount} frames, the captures ${total}`);

  const split = (frames: number[]): Record<string, string> => {
    const out: Record<string, string> = {};
    files.forEach((f, i) => {
      const lo = firstFrame[i], hi = lo + frameCounts[rel(f)];
      const mine = frames.filter((n) => n >= lo && n < hi).map((n) => n - lo + 1);
      if (mine.length > 0) out[rel(f)] = toRanges(mine);
    });
    return out;
  };

  const cases = FILTER_CASES.map((c, ci): CaseOut => {
    const kept = previous.get(JSON.stringify([c.filter, c.tshark ?? null, c.stateful === true]));
    if (kept) {
      console.log(`  (kept) ${c.filter}`);
      return kept;
    }
    const tsharkFilter = c.tshark ?? c.filter;
    let matches: Record<string, string>;
    if (c.stateful) {
      matches = {};
      for (const f of files) {
        const fr = tsharkFrames(f, tsharkFilter);
        if (fr.length > 0) matches[rel(f)] = toRanges(fr);
      }
    } else {
      matches = split(tsharkFrames(merged, tsharkFilter));
      // Check the concatenation against tshark reading captures alone: all of them with
      // --verify-all, otherwise three, rotating with the filter (two where it matches, if any).
      const hit = files.filter((f) => matches[rel(f)] !== undefined);
      const sample = verifyAll ? files : [hit[ci % Math.max(1, hit.length)], hit[(ci * 7 + 3) % Math.max(1, hit.length)], files[(ci * 11) % files.length]].filter((f) => f !== undefined);
      for (const f of sample) {
        const alone = toRanges(tsharkFrames(f, tsharkFilter));
        const fromMerged = matches[rel(f)] ?? '';
        if (alone !== fromMerged) throw new Error(`${tsharkFilter} on ${rel(f)}: alone ${alone}, in the concatenation ${fromMerged}`);
      }
    }
    const n = Object.values(matches).reduce((s, r) => s + r.split(',').reduce((t, p) => { const [a, b] = p.split('-').map(Number); return t + (b === undefined ? 1 : b - a + 1); }, 0), 0);
    console.log(`${String(n).padStart(6)} frames  ${c.filter}`);
    return { filter: c.filter, ...(c.tshark ? { tshark: c.tshark } : {}), stateful: c.stateful === true, matches };
  });

  const probe = files.find((f) => rel(f) === path.join('tcpdump', 'print-flags.pcap')) ?? files[0];
  const rejects = REJECTED_FILTERS.map((filter) => {
    const r = run('tshark', [...TSHARK_ARGS, '-r', probe, '-Y', filter, '-T', 'fields', '-e', 'frame.number']);
    if (r.status === 0) throw new Error(`tshark accepts ${filter}; it does not belong in REJECTED_FILTERS`);
    const error = r.stderr.split('\n').find((l) => l.startsWith('tshark:')) ?? r.stderr.trim();
    return { filter, tsharkError: error.replace(/^tshark: /, '').trim() };
  });

  fs.mkdirSync(OUT_DIR, { recursive: true });
  const command = `tshark ${TSHARK_ARGS.join(' ')} -r FILE -Y FILTER -T fields -e frame.number`;
  fs.writeFileSync(path.join(OUT_DIR, 'tshark-matches.json'), JSON.stringify({
    generatedBy: 'scripts/gen-filter-fixtures.ts',
    tshark: version,
    command,
    note: 'matches: capture (relative to corpus/valid) → matching frame numbers as ranges; captures with no match are left out. Filters that are not stateful ran once over `mergecap -a` of all captures and were split back per capture.',
    frameCounts,
    cases,
  }, null, 1) + '\n');
  fs.writeFileSync(path.join(OUT_DIR, 'tshark-rejects.json'), JSON.stringify({
    generatedBy: 'scripts/gen-filter-fixtures.ts',
    tshark: version,
    command: `tshark -r ${rel(probe)} -Y FILTER (exits non-zero)`,
    rejects,
  }, null, 1) + '\n');
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`wrote ${path.relative(REPO_ROOT, OUT_DIR)}/tshark-matches.json and tshark-rejects.json`);
}

if (require.main === module) main();
