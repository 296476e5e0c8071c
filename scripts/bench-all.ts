// `npm run bench`: every benchmark script in one run, side by side with tcpdump and tshark, and
// docs/BENCHMARKS.md written from what they measured. Benchmarks are never part of `npm test`.
// With --only, just the scripts named run, and their sections replace the ones they wrote last
// time (a section with the same title, or the same "(bench-…)" tag); the other sections stay as
// they were. Options bench-all does not know go to the scripts (`--also 10000000` for bench-ui).
//
//   npm run bench [-- --frames N] [-- --quick] [-- --only bench-ui[,bench-…] [script options]]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, machine } from './bench-lib';

const quick = process.argv.includes('--quick');
const frames = (() => {
  const i = process.argv.indexOf('--frames');
  return i >= 0 ? process.argv[i + 1] : quick ? '200000' : '1000000';
})();

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? process.argv[i + 1].split(',').map((n) => n.replace(/\.js$/, '') + '.js') : null;
})();
/** Options for the scripts themselves: everything bench-all does not take. */
const passOn: string[] = [];
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--quick') continue;
  if (a === '--frames' || a === '--only') { i++; continue; }
  passOn.push(a);
}

const scriptsDir = __dirname;
const order = ['bench-decode.js', 'bench-filter.js', 'bench-ui.js', 'bench-capture.js'];
const found = fs.readdirSync(scriptsDir).filter((n) => /^bench-.*\.js$/.test(n) && n !== 'bench-all.js' && n !== 'bench-lib.js');
const scripts = [...order.filter((n) => found.includes(n)), ...found.filter((n) => !order.includes(n)).sort()]
  .filter((n) => only === null || only.includes(n));
if (only !== null && scripts.length !== only.length) {
  process.stderr.write(`bench: no such script among ${found.join(', ')}\n`);
  process.exit(2);
}

const sectionFile = path.join(ROOT, 'docs', '.bench-sections.md');
fs.mkdirSync(path.dirname(sectionFile), { recursive: true });
fs.writeFileSync(sectionFile, '');
const failures: string[] = [];
for (const s of scripts) {
  process.stderr.write(`bench: running ${s}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(scriptsDir, s), '--frames', frames, '--section-file', sectionFile, ...passOn], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) failures.push(`${s} exited with status ${r.status}`);
}
const head = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (scripts/bench-all.ts), which runs every `scripts/bench-*.ts` in one go.',
  'Ratios come from commands run side by side, interleaved, in the same run; the machine is shared, so',
  'read ratios and medians rather than absolute times. Rerun with `npm run bench` (`-- --quick` for 200k frames).',
  '',
  ...machine(),
  `- date: ${new Date().toISOString()}`,
  '',
];
const body = fs.readFileSync(sectionFile, 'utf8');
fs.unlinkSync(sectionFile);
const tail = failures.length ? ['', '## Scripts that failed', '', ...failures.map((f) => `- ${f}`), ''] : [];
const out = path.join(ROOT, 'docs', 'BENCHMARKS.md');
if (only !== null && fs.existsSync(out)) {
  fs.writeFileSync(out, replaceSections(fs.readFileSync(out, 'utf8'), body) + tail.join('\n'));
  process.stderr.write(`bench: replaced the sections of ${scripts.join(', ')} in docs/BENCHMARKS.md${failures.length ? ` (${failures.length} failed)` : ''}\n`);
} else {
  fs.writeFileSync(out, head.join('\n') + '\n' + body + tail.join('\n'));
  process.stderr.write(`bench: wrote docs/BENCHMARKS.md${failures.length ? ` (${failures.length} failed)` : ''}\n`);
}

/** `doc` with each section of `fresh` in place of the section it replaces (appended when none). */
function replaceSections(doc: string, fresh: string): string {
  const split = (text: string): string[] => text.split(/^(?=## )/m);
  const tag = (section: string): string => {
    const title = section.split('\n')[0];
    return /\((bench-[a-z-]+)\)\s*$/.exec(title)?.[1] ?? title;
  };
  const parts = split(doc).filter((p) => !p.startsWith('## Scripts that failed'));
  for (const section of split(fresh).filter((p) => p.startsWith('## '))) {
    const at = parts.findIndex((p) => p.startsWith('## ') && tag(p) === tag(section));
    if (at >= 0) parts[at] = section;
    else parts.push(section);
  }
  return parts.join('');
}
