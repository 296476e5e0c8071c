// Display filters against tshark: every filter of test/helpers/filter-cases.ts runs over every
// capture of ../shared/corpus/valid, and the frames tcpwatch shows are compared with the frames
// tshark 4.0 showed (test/fixtures/filters/tshark-matches.json, made by scripts/gen-filter-fixtures.ts).
// Filters marked 'must' agree on every capture, except the listed known divergences, each of which
// comes from a field's value rather than from the filter engine; 'report' filters (fields another
// engineer is still perfecting) are measured and printed. Run with `2>&1 | grep '^#'` to see the table.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusDir, NO_CORPUS_REASON, REPO_ROOT } from './helpers/corpus';
import { FILTER_CASES, REJECTED_FILTERS } from './helpers/filter-cases';
import '../src/app/features';
import { compileFilter, checkFilter, CompiledFilter } from '../src/filter';
import { makeAnalyzers, MainOptions } from '../src/hooks';
import { CaptureFileReader } from '../src/capture/file-reader';
import { CapturedFrame } from '../src/capture/frame';
import { Pipeline } from '../src/pipeline';
import { Dissection } from '../src/decode/dissection';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'filters');

interface MatchesFixture {
  tshark: string;
  frameCounts: Record<string, number>;
  cases: { filter: string; tshark?: string; stateful: boolean; matches: Record<string, string> }[];
}

/**
 * Where tcpwatch answers differently from tshark because a field's value differs (the registry's
 * declaration, owned by the protocol's module), not because the filter is read differently.
 * An entry that agrees again is reported so that it can be removed.
 */
const KNOWN_DIVERGENCES: { why: string; cases: [filter: string, capture: string][] }[] = [
  // None at present: the ip.* fields now cover every IPv4 header of a frame (tunnels, ICMP quotes),
  // ip.len shows the presumed length under TCP segmentation offload, and tcp.flags.ace replaces
  // ae/cwr/ece once Accurate ECN is negotiated, as in tshark.
];
function knownDivergence(filter: string, file: string): string | undefined {
  return KNOWN_DIVERGENCES.find((k) => k.cases.some(([f, c]) => f === filter && c === file))?.why;
}

function fromRanges(s: string | undefined): number[] {
  if (!s) return [];
  const out: number[] = [];
  for (const p of s.split(',')) {
    const [a, b] = p.split('-').map(Number);
    for (let n = a; n <= (b ?? a); n++) out.push(n);
  }
  return out;
}

const OPTS: MainOptions = { promiscuous: false, field: [], fieldOption: [], pref: [], ui: false };

/** Run all filters over one capture in one pass; frame numbers each filter shows. */
function runFilters(file: string, filters: CompiledFilter[]): number[][] {
  const hits = filters.map((): number[] => []);
  const reader = new CaptureFileReader(file);
  const frame = new CapturedFrame();
  const all = (d: Dissection): boolean => {
    for (let i = 0; i < filters.length; i++) if (filters[i](d)) hits[i].push(d.number);
    return false;
  };
  const pipeline = new Pipeline({ sink: null, filter: all, analyzers: makeAnalyzers(OPTS, reader) });
  try {
    while (reader.next(frame)) pipeline.handle(frame);
  } finally {
    reader.close();
  }
  return hits;
}

const corpus = corpusDir();

test('display filters select the frames tshark selects on the corpus', { skip: corpus === null ? NO_CORPUS_REASON : false }, (t) => {
  const fx = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'tshark-matches.json'), 'utf8')) as MatchesFixture;
  assert.deepEqual(fx.cases.map((c) => c.filter), FILTER_CASES.map((c) => c.filter), 'fixtures are stale: run scripts/gen-filter-fixtures.ts');
  assert.ok(FILTER_CASES.length >= 40);
  const files = Object.keys(fx.frameCounts);
  assert.ok(files.length >= 50, `captures in the fixture: ${files.length}`);

  const compiled = FILTER_CASES.map((c) => compileFilter(c.filter));
  const agree = FILTER_CASES.map(() => 0);
  const failures: string[] = [];
  const known: string[] = [];
  const reported: string[] = [];
  const agreesAgain: string[] = [];
  for (const rel of files) {
    const file = path.join(corpus!, 'valid', rel);
    const got = runFilters(file, compiled);
    FILTER_CASES.forEach((c, i) => {
      const want = fromRanges(fx.cases[i].matches[rel]);
      const ours = got[i];
      if (JSON.stringify(ours) === JSON.stringify(want)) {
        agree[i]++;
        if (knownDivergence(c.filter, rel)) agreesAgain.push(`${c.filter} on ${rel}`);
        return;
      }
      const onlyOurs = ours.filter((n) => !want.includes(n)), onlyTshark = want.filter((n) => !ours.includes(n));
      const line = `${c.filter} on ${rel}: only tcpwatch ${JSON.stringify(onlyOurs.slice(0, 10))}${onlyOurs.length > 10 ? '…' : ''}, only tshark ${JSON.stringify(onlyTshark.slice(0, 10))}${onlyTshark.length > 10 ? '…' : ''}`;
      const why = knownDivergence(c.filter, rel);
      if (why) known.push(`${line} (${why})`);
      else if (c.level === 'must') failures.push(line);
      else reported.push(line);
    });
  }

  t.diagnostic(`${fx.tshark}; ${FILTER_CASES.length} filters × ${files.length} captures`);
  FILTER_CASES.forEach((c, i) => t.diagnostic(`${String(agree[i]).padStart(3)}/${files.length} ${c.level === 'must' ? 'must  ' : 'report'} ${c.filter}`));
  for (const k of known) t.diagnostic(`known: ${k}`);
  for (const a of agreesAgain) t.diagnostic(`listed as a known divergence but agrees now (remove it if it keeps agreeing): ${a}`);
  for (const r of reported) t.diagnostic(`differs (report only): ${r}`);
  for (const f of failures) t.diagnostic(`DIFFERS: ${f}`);
  assert.deepEqual(failures, [], 'must-agree filters differ from tshark');
});

test('filters that tshark refuses are refused with a column', () => {
  const fx = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'tshark-rejects.json'), 'utf8')) as { rejects: { filter: string; tsharkError: string }[] };
  assert.deepEqual(fx.rejects.map((r) => r.filter), REJECTED_FILTERS, 'fixtures are stale: run scripts/gen-filter-fixtures.ts');
  for (const r of fx.rejects) {
    const check = checkFilter(r.filter);
    assert.equal(check.ok, false, `tcpwatch accepts ${r.filter}, which tshark refuses: ${r.tsharkError}`);
    assert.ok(check.column >= 1 && check.column <= r.filter.length + 1, `${r.filter}: column ${check.column}`);
  }
});
