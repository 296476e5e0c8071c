// `npm test`: every test file under dist/test, in two groups. The files that read captures and
// measure nothing run two at a time; most of them start one tcpwatch or tshark after another, so
// one core waits while the other works. The files that capture live, drive the UI through tmux,
// relay frames between namespaces or bound how long something takes run one at a time afterwards:
// a second file beside them would be load they could mistake for a slow tcpwatch or a dropped
// packet. A file joins the first group by saying so near its top, in a line of its own:
//
//   // npm test may run this file beside another: <why: it reads captures and times nothing>
//
// Files that do not say so run alone, so a new test is safe before it is fast.
//
//   node dist/scripts/run-tests.js [FILE ...]   (files given: those only, one at a time)

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const TEST_DIR = path.join(__dirname, '..', 'test');
const SHARES = /^\/\/ npm test may run this file beside another:/m;

function runTests(files: string[], concurrency: number): number {
  if (files.length === 0) return 0;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
  return r.status ?? 1;
}

function main(): number {
  const given = process.argv.slice(2);
  if (given.length > 0) return runTests(given, 1);
  const files = fs.readdirSync(TEST_DIR).filter((n) => n.endsWith('.test.js')).sort().map((n) => path.join(TEST_DIR, n));
  const shared = files.filter((f) => SHARES.test(fs.readFileSync(f, 'utf8').slice(0, 4096)));
  const alone = files.filter((f) => !shared.includes(f));
  console.log(`# ${shared.length} test files two at a time, then ${alone.length} one at a time`);
  const first = runTests(shared, 2);
  const second = runTests(alone, 1);
  return first !== 0 ? first : second;
}

process.exitCode = main();
