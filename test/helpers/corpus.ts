// Where the shared test corpus is, and how tests that need it behave without it: skipped with the
// reason on a user's clone, a failure in CI (which sets TCPWATCH_REQUIRE_CORPUS=1).

import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export function corpusDir(): string | null {
  const candidates = [process.env.TCPWATCH_CORPUS, path.resolve(REPO_ROOT, '..', 'shared', 'corpus')];
  for (const c of candidates) if (c && fs.existsSync(path.join(c, 'valid'))) return c;
  if (process.env.TCPWATCH_REQUIRE_CORPUS === '1') throw new Error('the test corpus is required (TCPWATCH_REQUIRE_CORPUS=1) but was not found');
  return null;
}

export const NO_CORPUS_REASON = 'test corpus not found at ../shared/corpus or $TCPWATCH_CORPUS';

/** All files below dir (recursively) whose name passes `keep`, sorted. */
export function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (keep(e.name)) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

export const CLI = path.join(REPO_ROOT, 'bin', 'tcpwatch.js');
