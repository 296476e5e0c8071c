// Opening a capture file for reading, with one clear line for each way it can fail (missing, a
// directory, not readable, not a capture): -r, the UI and the indexing process all open files here.
// `-r 'PREFIX_*.pcapng'` (quoted, so that tcpwatch and not the shell expands it) names a set of files,
// such as a ring's (-b): they are read in the order of their names, which for dumpcap's naming is
// the order they were captured in.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureFileReader, CaptureFileError } from './file-reader';
import { UsageError } from '../errors';

export function openReader(path: string): CaptureFileReader {
  if (path !== '-') {
    let st: fs.Stats;
    try {
      st = fs.statSync(path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(err.code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${err.code})`);
    }
    if (st.isDirectory()) throw new UsageError(`${path}: is a directory, not a capture file`);
    try {
      fs.accessSync(path, fs.constants.R_OK);
    } catch {
      throw new UsageError(`${path}: permission denied`);
    }
  }
  try {
    return new CaptureFileReader(path);
  } catch (e) {
    if (e instanceof CaptureFileError) throw new UsageError(e.message);
    throw e;
  }
}

const GLOB_CHARS = /[*?[]/;

/** A shell wildcard over one file name (*, ?, [...]) as a regular expression. */
function globPattern(name: string): RegExp {
  let re = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = name.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = name.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The files -r names: the one file, or, for a name with wildcards that is no file itself, every file
 * of its directory that matches, in name order (wildcards in the file name only, not in directories).
 */
export function captureFiles(spec: string): string[] {
  if (spec === '-' || !GLOB_CHARS.test(path.basename(spec)) || fs.existsSync(spec)) return [spec];
  const dir = path.dirname(spec);
  if (GLOB_CHARS.test(dir)) throw new UsageError(`${spec}: wildcards are taken in the file name only, not in its directory`);
  const re = globPattern(path.basename(spec));
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw new UsageError(`${dir}: cannot read the directory (${(e as NodeJS.ErrnoException).code})`);
  }
  const files = names.filter((n) => re.test(n) && !n.startsWith('.')).sort().map((n) => path.join(dir, n));
  if (files.length === 0) throw new UsageError(`${spec}: no file matches`);
  return files;
}
