// Rewrites the golden files of test/compare.test.ts (test/golden/compare/*.txt) from what this
// build of tcpwatch prints for `--compare` on each case of test/helpers/compare-cases.ts. Run it
// after a deliberate change to the compare view (or to what the TLS dissector and decryptor find),
// then read the diff before committing:
//   npx tsc -p tsconfig.json && node dist/scripts/update-compare-goldens.js

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CLI, REPO_ROOT, corpusDir } from '../test/helpers/corpus';
import { COMPARE_CASES, GOLDEN_DIR, caseArgs, envWithoutKeylog, goldenHeader } from '../test/helpers/compare-cases';

const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const corpus = corpusDir();
const tmp = mkdtempSync(path.join(tmpdir(), 'tcpwatch-compare-'));
mkdirSync(GOLDEN_DIR, { recursive: true });
let written = 0;
try {
  for (const c of COMPARE_CASES) {
    const args = caseArgs(c, corpus, tmp);
    if (args === null) {
      console.log(`${c.name}: skipped, the corpus is not here`);
      continue;
    }
    const out = execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: envWithoutKeylog() });
    writeFileSync(path.join(GOLDEN_DIR, `${c.name}.txt`), goldenHeader(c, version) + out);
    console.log(`${c.name}: ${out.split('\n').length - 1} lines from tcpwatch ${version} --compare on ${c.file}`);
    written++;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`${written} golden files written to ${path.relative(REPO_ROOT, GOLDEN_DIR)}`);
