// Rewrites the golden files of test/explain.test.ts (test/golden/explain/*.txt) from what this
// build of tcpwatch prints for `--explain` on each case of test/helpers/explain-cases.ts. Run it
// after a deliberate change to the explain view, then read the diff before committing:
//   npx tsc -p tsconfig.json && node dist/scripts/update-explain-goldens.js

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CLI, REPO_ROOT, corpusDir } from '../test/helpers/corpus';
import { EXPLAIN_CASES, GOLDEN_DIR, caseArgs, casePath, goldenHeader } from '../test/helpers/explain-cases';

const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const corpus = corpusDir();
mkdirSync(GOLDEN_DIR, { recursive: true });
let written = 0;
for (const c of EXPLAIN_CASES) {
  const file = casePath(c, corpus);
  if (file === null) {
    console.log(`${c.name}: skipped, the corpus is not here`);
    continue;
  }
  const out = execFileSync(process.execPath, [CLI, ...caseArgs(c, file)], { encoding: 'utf8' });
  writeFileSync(path.join(GOLDEN_DIR, `${c.name}.txt`), goldenHeader(c, version) + out);
  console.log(`${c.name}: ${out.split('\n').length - 1} lines from tcpwatch ${version} --explain on ${c.file}`);
  written++;
}
console.log(`${written} golden files written to ${path.relative(REPO_ROOT, GOLDEN_DIR)}`);
