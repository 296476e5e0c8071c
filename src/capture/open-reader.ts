// Opening a capture file for reading, with one clear line for each way it can fail (missing, a
// directory, not readable, not a capture): -r, the UI and the indexing process all open files here.

import * as fs from 'node:fs';
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
