// --export-objects PROTO,DIR, as tshark 4.0 writes it: each object a protocol carried (an HTTP
// message's entity body) saved in DIR under the name Wireshark's export-object code gives it — the
// base name of the request URI, or `object<frame>.<media type>` when there is none, its characters
// that are unsafe in a file name escaped as %xx, cut at 255 bytes keeping the extension, and `(N)`
// before the extension while the name is taken (ui/export_object and ui/cli/tap-exportobject.c).
//
// A hostile capture chooses the names and the bytes: a name never holds a '/' (escaped) nor a NUL
// (the C string it would be ends there), is never '.' or '..' (they exist, so they are renamed),
// and is opened with O_EXCL so no symbolic link in DIR is followed; each object is written when it
// is complete (an HTTP body is one message; a TFTP file's blocks are held, bounded, until its last) and a run writes at most MAX_EXPORTED_BYTES.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Dissection } from '../decode/dissection';
import type { Analyzer } from '../pipeline';
import { UsageError } from '../errors';
import { http } from '../protocols/http';
import { entityBody } from '../protocols/http/follow';
import { mediaType } from '../protocols/http/message';
import { TftpFiles } from '../protocols/tftp';

/** The kinds tshark 4.0 lists for --export-objects, in its order. */
export const TSHARK_EXPORT_KINDS = ['dicom', 'ftp-data', 'http', 'imf', 'smb', 'tftp'];
/** The kinds tcpwatch exports. */
const EXPORT_KINDS = ['http', 'tftp'];

/** EXPORT_OBJECT_MAXFILELEN: the longest name Wireshark gives an object, in bytes. */
const MAX_NAME_BYTES = 255;
/** prefs.gui_max_export_objects' default: how many `(N)` names are tried before the last is used. */
const MAX_DUPLICATES = 1000;
/** What one run writes at most, whatever the capture holds (each body is already cut at 16 MiB uncompressed). */
const MAX_EXPORTED_BYTES = 4 * 1024 * 1024 * 1024;

/** Parses `PROTO,DIR` as tshark takes it; the usage error says what tshark says, on one line. */
export function parseExportObjects(spec: string): { kind: string; dir: string } {
  const comma = spec.indexOf(',');
  const kind = comma < 0 ? spec : spec.slice(0, comma);
  const dir = comma < 0 ? '' : spec.slice(comma + 1);
  const usage = `"--export-objects" are specified as: <protocol>,<destdir>; the types are ${TSHARK_EXPORT_KINDS.join(', ')}`;
  if (comma < 0 || dir === '') throw new UsageError(usage);
  if (!TSHARK_EXPORT_KINDS.includes(kind)) throw new UsageError(`"--export-objects" type "${kind}" is unknown: ${usage}`);
  if (!EXPORT_KINDS.includes(kind)) throw new UsageError(`"--export-objects" type "${kind}": tcpwatch exports ${EXPORT_KINDS.join(', ')} objects only`);
  return { kind, dir };
}

// Characters Windows refuses in a file name (and '/'), which Wireshark escapes on every system.
function rejected(c: number): boolean {
  return c < 0x20 || c === 0x3c || c === 0x3e || c === 0x3a || c === 0x22 || c === 0x2f || c === 0x5c || c === 0x7c || c === 0x3f || c === 0x2a;
}
const HEX = '0123456789abcdef';

/** A byte string cut as C would read it (at its first NUL). */
function cString(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

/** g_path_get_basename: what follows the last '/', trailing slashes ignored; "/" for only slashes, "." for nothing. */
export function baseName(name: Buffer): Buffer {
  if (name.length === 0) return Buffer.from('.');
  let end = name.length;
  while (end > 0 && name[end - 1] === 0x2f) end--;
  if (end === 0) return Buffer.from('/');
  let start = end;
  while (start > 0 && name[start - 1] !== 0x2f) start--;
  return name.subarray(start, end);
}

/** eo_rename: `(N)` before the extension (when it fits), the whole cut to maxLen bytes. */
function renamed(name: Buffer, maxLen: number, dup: number): Buffer {
  const tag = Buffer.from(dup !== 0 ? `(${dup})` : '', 'latin1');
  const dot = name.lastIndexOf(0x2e);
  if (dot >= 0 && name.length - dot + tag.length < maxLen) {
    const ext = name.subarray(dot);
    let stem = name.subarray(0, dot);
    if (stem.length >= maxLen - (tag.length + ext.length)) stem = stem.subarray(0, maxLen - (tag.length + ext.length));
    return Buffer.concat([stem, tag, ext]);
  }
  let stem = name;
  if (stem.length >= maxLen - tag.length) stem = stem.subarray(0, maxLen - tag.length);
  return Buffer.concat([stem, tag]);
}

/** eo_massage_str: the unsafe bytes as %xx, then renamed when a duplicate or too long. */
export function safeFileName(name: Buffer, dup: number, maxLen = MAX_NAME_BYTES): Buffer {
  const src = cString(name);
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (rejected(c)) out.push(0x25, HEX.charCodeAt(c >> 4), HEX.charCodeAt(c & 15));
    else out.push(c);
  }
  const escaped = Buffer.from(out);
  return dup !== 0 || escaped.length > maxLen ? renamed(escaped, maxLen, dup) : escaped;
}

/** The name an object is saved under before duplicates: the base name of its own, else object<frame>[.<content type>]. */
export function objectName(filename: Buffer | null, frame: number, contentType: string): Buffer {
  if (filename !== null) return baseName(cString(filename));
  return Buffer.from(`object${frame}${contentType !== '' ? '.' + contentType : ''}`, 'latin1');
}

/** Writes objects into one directory, naming them as tshark does. */
export class ObjectWriter {
  written = 0;
  bytes = 0;
  failed = 0;
  private dirReady = false;
  private readonly dirBytes: Buffer;

  constructor(readonly kind: string, readonly dir: string) {
    this.dirBytes = Buffer.from(dir);
  }

  /** Made at the end of the run too, as tshark makes DIR (with its parents) whether or not anything was found. */
  ensureDir(): boolean {
    if (this.dirReady) return true;
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o755 });
      this.dirReady = true;
    } catch (e) {
      process.stderr.write(`Failed to create export objects output directory "${this.dir}": ${(e as Error).message}\n`);
      this.failed++;
    }
    return this.dirReady;
  }

  save(filename: Buffer | null, frame: number, contentType: string, data: Buffer): void {
    if (!this.ensureDir()) return;
    if (this.bytes + data.length > MAX_EXPORTED_BYTES) {
      this.failed++;
      return;
    }
    const base = objectName(filename, frame, contentType);
    const prefix = Buffer.concat([this.dirBytes, Buffer.from(path.sep)]);
    for (let dup = 0; ; dup++) {
      // The name's raw bytes, as Wireshark hands the URI's bytes to the file system.
      const file = Buffer.concat([prefix, safeFileName(base, dup)]);
      if (!exists(file) || dup + 1 >= MAX_DUPLICATES) {
        this.writeFile(file, data);
        return;
      }
    }
  }

  private writeFile(file: Buffer, data: Buffer): void {
    let fd = -1;
    try {
      // O_EXCL: never through a link, never over a file already there.
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
      let at = 0;
      while (at < data.length) at += fs.writeSync(fd, data, at, data.length - at);
      this.written++;
      this.bytes += data.length;
    } catch {
      this.failed++;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }

  /** tshark's line when some objects could not be saved, or null. */
  summary(): string | null {
    return this.failed > 0 ? `Export objects (${this.kind}): Some files could not be saved.` : null;
  }
}

function exists(file: Buffer): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** HTTP objects: every message's entity body (de-chunked and uncompressed), named after the conversation's latest request URI. */
class HttpObjects implements Analyzer {
  constructor(private readonly out: ObjectWriter) {}

  analyze(d: Dissection): void {
    const layer = http.layer(d);
    if (layer.frame !== d.number) return;
    for (let i = 0; i < layer.count; i++) {
      const m = layer.messages[i];
      if (m.continuation) continue;
      const body = entityBody(m);
      if (body === null) continue;
      const name = m.conversationUri !== '' ? Buffer.from(m.conversationUri, 'latin1') : null;
      this.out.save(name, d.number, mediaType(m.contentType), body);
    }
  }
}

/** The analysis stage of one --export-objects, and the writer behind it. */
export function exportObjects(spec: string): { analyzer: Analyzer; writer: ObjectWriter } {
  const { kind, dir } = parseExportObjects(spec);
  const writer = new ObjectWriter(kind, dir);
  if (kind === 'tftp') {
    const files = new TftpFiles((name, frame, data) => writer.save(name, frame, '', data));
    return { analyzer: files, writer };
  }
  return { analyzer: new HttpObjects(writer), writer };
}
