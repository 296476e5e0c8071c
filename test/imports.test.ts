// The house's structure, checked on every run: the import graph of src/ has no loops, the library
// entry reaches neither the command line nor the UI nor the lab, and composition (src/cli.ts,
// src/app/) sits at the top: nothing below imports it. docs/ARCHITECTURE.md draws the layers.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { REPO_ROOT } from './helpers/corpus';

const SRC = path.join(REPO_ROOT, 'src');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative imports of a file, as files: static imports and exports, type imports, require() and import(). */
function importsOf(file: string, exts: string[]): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), ref.fileName);
    const hit = [...exts.map((x) => base + x), ...exts.map((x) => path.join(base, 'index' + x))].find((c) => fs.existsSync(c));
    if (hit !== undefined) out.push(hit);
    else unresolved.push(`${path.relative(REPO_ROOT, file)}: ${ref.fileName}`);
  }
  return out;
}

/** Relative imports that name no file (tsc does not check `import './x'` without bindings). */
const unresolved: string[] = [];

function graphOf(files: string[], exts: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) g.set(f, importsOf(f, exts));
  return g;
}

/** Strongly connected components of more than one file (Tarjan), each as its files. */
function loops(g: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (;;) { const w = stack.pop()!; onStack.delete(w); comp.push(w); if (w === v) break; }
      if (comp.length > 1) found.push(comp);
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

const rel = (f: string) => path.relative(REPO_ROOT, f);

test('src/ has no import loops (type imports and require() count)', () => {
  const g = graphOf(sourceFiles(SRC), ['.ts']);
  assert.ok(g.size > 100, `files read: ${g.size}`);
  const described = loops(g).map((comp) => {
    const inside = new Set(comp);
    return comp.flatMap((a) => (g.get(a) ?? []).filter((b) => inside.has(b)).map((b) => `${rel(a)} -> ${rel(b)}`)).sort().join('\n');
  });
  assert.deepEqual(described, [], 'files that import each other in a loop');
});

test('every relative import in src/, test/ and scripts/ names a file', () => {
  unresolved.length = 0;
  for (const dir of ['src', 'test', 'scripts']) graphOf(sourceFiles(path.join(REPO_ROOT, dir)), ['.ts']);
  assert.deepEqual(unresolved, []);
});

test('the graph check finds a loop where there is one', () => {
  const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
  assert.deepEqual(loops(g).map((c) => c.sort()), [['a', 'b', 'c']]);
});

test('composition sits at the top: nothing below src/cli.ts and src/app/ imports them', () => {
  const g = graphOf(sourceFiles(SRC), ['.ts']);
  const isComposition = (f: string) => f === path.join(SRC, 'cli.ts') || f.startsWith(path.join(SRC, 'app') + path.sep);
  const upward: string[] = [];
  for (const [a, targets] of g) {
    if (isComposition(a)) continue;
    for (const b of targets) if (isComposition(b)) upward.push(`${rel(a)} -> ${rel(b)}`);
  }
  assert.deepEqual(upward, []);
});

test('the library entry loads neither commander, nor the UI, nor the lab, nor the command line', () => {
  // The compiled entry, where type-only imports are gone: what `require('tcpwatch')` really loads.
  const DIST = path.join(REPO_ROOT, 'dist', 'src');
  const entry = path.join(DIST, 'index.js');
  const reached = new Set<string>();
  const external = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (reached.has(f)) continue;
    reached.add(f);
    const info = ts.preProcessFile(fs.readFileSync(f, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) { external.add(ref.fileName); continue; }
      const base = path.resolve(path.dirname(f), ref.fileName);
      const hit = [base, base + '.js', path.join(base, 'index.js')].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
      if (hit !== undefined) todo.push(hit);
    }
  }
  const bad = [...reached].map((f) => path.relative(DIST, f)).filter((f) => /^(ui|lab|app)\//.test(f) || f === 'cli.js');
  assert.deepEqual(bad, [], 'files of the UI, the lab or the command line loaded by the library entry');
  for (const pkg of ['commander', 'blessed', 'blessed-contrib']) assert.ok(!external.has(pkg), `the library entry loads ${pkg}`);
  assert.ok(reached.has(path.join(DIST, 'decode', 'decoder.js')), 'the decoder is reached');
});

test('analysis stages run after the stages they name, whatever order they were registered in', async () => {
  const { stageOrder } = await import('../src/hooks');
  const make = () => null;
  const order = stageOrder([
    { name: 'verdict', after: ['tls', 'tls-decrypt'], make },
    { name: 'tls-decrypt', after: ['tls'], make },
    { name: 'leftovers', after: [], last: true, make },
    { name: 'other', after: [], make },
    { name: 'tls', after: [], make },
  ]).map((s) => s.name);
  assert.deepEqual(order, ['tls', 'tls-decrypt', 'verdict', 'other', 'leftovers']);
  assert.throws(() => stageOrder([{ name: 'a', after: ['z'], make }, { name: 'z', after: [], last: true, make }]), /runs after z, which runs last/);
  assert.throws(() => stageOrder([{ name: 'a', after: ['b'], make }, { name: 'b', after: ['a'], make }]), /in a circle/);
  assert.throws(() => stageOrder([{ name: 'a', after: ['missing'], make }]), /runs after missing, which is not registered/);
  await import('../src/packet-modules');
  assert.deepEqual(stageOrder().map((s) => s.name), ['icmp-echo', 'quic', 'ssh', 'tftp', 'udp-stream', 'tcp-pdu', 'dns', 'socks', 'tls', 'tls-decrypt', 'verdict', 'data']);
});
