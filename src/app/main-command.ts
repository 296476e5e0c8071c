// The main command once its options are parsed: check them against each other, then read a file
// headless, or hand over to live capture or the UI through their hooks. `tcpwatch demo` runs it too,
// to show what it captured.

import { ForwardRefCollector } from '../fields/forward-refs';
import { setPassNumbers } from '../fields/frame-numbers';
import { SharedNumberAcks } from '../analysis/shared-number-acks';
import { CaptureFileReader, CaptureFileError } from '../capture/file-reader';
import { CapturedFrame } from '../capture/frame';
import { openOutputFile, CaptureWriter, CaptureWriteError, formatNamed } from '../capture/file-writer';
import { openReader, captureFiles } from '../capture/open-reader';
import { isRemoteInterface } from '../capture/remote';
import { checkRingOptions, parseAutostopOptions, parseRingOptions } from '../capture/ring-writer';
import { checkDropPrivileges, dropPrivileges } from '../capture/privileges';
import { Pipeline } from '../pipeline';
import { hooks, MainOptions, makeAnalyzers, preferences } from '../hooks';
import { openProfile } from '../config/profile';
import { keyLogFileProblem, keylogPathsFromPrefs } from '../tls/keylog';
import { OutputBuffer } from '../output/stdout';
import { UsageError, fail, EXIT_RUN_FAILED } from '../errors';
import { makeSink } from './sinks';
import { Statistics } from './statistics';
import { exportObjects, parseExportObjects } from '../reports/export-objects';
import { fieldsGlossary, protocolsGlossary, valuesGlossary } from '../output/glossary-text';
import { setTimeFormat, setTimeDigits, timeShown, noteShownTimes, TIME_TYPES, TimeType } from '../output/time-format';
import { Sink } from '../output/sinks';
import { applyDecodeAs } from '../decode/decode-as';
import { sanitizeText } from '../output/sanitize';
import { addHostsFile, enableNameResolution } from '../fields/names';
import { existsSync } from 'fs';

/** -o NAME:VALUE, as tshark takes it; only preferences that a module honours are accepted. */
function checkPreference(spec: string): void {
  const colon = spec.indexOf(':');
  if (colon <= 0) throw new UsageError(`invalid -o "${spec}": expected NAME:VALUE, such as tls.keylog_file:keys.log`);
  const name = spec.slice(0, colon).trim();
  if (!preferences.has(name)) {
    throw new UsageError(`unknown preference "${name}" for -o: tcpwatch knows ${[...preferences].join(', ') || 'none'}`);
  }
}

// With -T text, -e would be silently ignored; tshark refuses it too.
const FORMATS_WITH_FIELDS = ['fields', 'json', 'ndjson'];

/** Decimal places of the time column: 9 for nanosecond captures, 6 otherwise, as tshark chooses. */
function timeDigitsFor(reader: CaptureFileReader | null): () => number {
  return () => (reader !== null && reader.nanosecond ? 9 : 6);
}

/** Run the main command with parsed options; `tcpwatch demo` calls it to show what it captured. */
export async function runMain(opts: MainOptions, filterWords: string[]): Promise<void> {
  if (opts.glossary !== undefined) {
    printGlossary(opts.glossary);
    return;
  }
  if (opts.fieldOption.length && opts.outputFormat !== 'fields') {
    // tshark accepts -E only with -T fields; say so rather than ignore it
    throw new UsageError('-E applies to -T fields only');
  }
  if (opts.field.length && !FORMATS_WITH_FIELDS.includes(opts.outputFormat ?? 'text')) {
    throw new UsageError('-e applies to -T fields, json or ndjson: add -T fields');
  }
  checkTwoPass(opts);
  if (opts.readFile !== undefined && opts.interface !== undefined) {
    // tshark reads the file and ignores -i without a word; one input, said plainly
    throw new UsageError('-r and -i both name an input: read a file (-r FILE) or capture live (-i INTERFACE), not both');
  }
  // The profile's preferences first: the command line's -o come after them and win.
  const profile = openProfile(opts.profile);
  const profilePrefs = profile.preferences(preferences);
  warnStaleKeyLogs(profile.name, profilePrefs);
  opts.pref = [...profilePrefs, ...opts.pref];
  for (const p of opts.pref) checkPreference(p);
  checkDecodeAs(opts.decodeAs ?? []);
  applyNameResolution(opts);
  applyTimeFormat(opts);
  if (opts.writeFormat !== undefined) {
    if (opts.writeFormat !== 'pcap' && opts.writeFormat !== 'pcapng') throw new UsageError(`unknown -F format "${opts.writeFormat}": tcpwatch writes pcap or pcapng`);
    if (opts.write === undefined) throw new UsageError('-F applies to -w: add -w FILE');
  }
  if (opts.user !== undefined) checkDropPrivileges(opts.user);
  const captureFilter = opts.captureFilter ?? (filterWords.length ? filterWords.join(' ') : undefined);
  checkRemoteOptions(opts);
  if (((opts.ringBuffer ?? []).length > 0 || (opts.autostop ?? []).length > 0) && opts.interface === undefined && opts.readFile !== undefined) {
    throw new UsageError('-b and -a apply to live capture (-i); to cut a file, read it with -r and -c, or editcap');
  }
  checkRingOptions(opts.write, parseRingOptions(opts.ringBuffer ?? []), parseAutostopOptions(opts.autostop ?? []));
  if (opts.listInterfaces) {
    if (!hooks.listInterfaces) throw new UsageError('live capture is not available in this build');
    await hooks.listInterfaces(opts);
    return;
  }
  if (opts.exportObjects !== undefined) {
    parseExportObjects(opts.exportObjects);
    if (opts.readFile === undefined) throw new UsageError('--export-objects reads a capture file in tcpwatch: add -r FILE (live capture: -w a file first)');
  }
  const headless = opts.exportObjects !== undefined || !opts.ui || !process.stdout.isTTY || opts.outputFormat !== undefined || opts.verbose || opts.hex ||
    opts.quiet || !!opts.statistics?.length || opts.twoPass === true || opts.explain !== undefined || opts.compare !== undefined;
  if (!headless && hooks.ui) {
    if (opts.readFile !== undefined && captureFiles(opts.readFile).length > 1) {
      throw new UsageError(`${opts.readFile}: the UI opens one file at a time; read the set headless (--no-ui), or join it first: tcpwatch -r '${opts.readFile}' -w joined.pcapng`);
    }
    await hooks.ui(opts, captureFilter);
    return;
  }
  if (opts.readFile === undefined) {
    if (!hooks.live) throw new UsageError('no input: give -r FILE to read a capture, or -i INTERFACE to capture live');
    await hooks.live(opts, captureFilter);
    return;
  }
  if (captureFilter !== undefined) throw new UsageError('a capture filter applies to live capture; use -Y for a display filter on a file');
  readFileHeadless(opts);
}

/**
 * A profile's key log that is gone (a session's file deleted since) must not keep tcpwatch from
 * starting: say so once and go on, following the path in case it comes back, as the command
 * line's -o is followed.
 */
function warnStaleKeyLogs(profileName: string, profilePrefs: string[]): void {
  for (const p of keylogPathsFromPrefs(profilePrefs)) {
    const problem = keyLogFileProblem(p);
    if (problem !== null) process.stderr.write(`tcpwatch: warning: profile "${sanitizeText(profileName)}": tls.keylog_file ${sanitizeText(p)}: ${problem}; going on without it\n`);
  }
}

/** -2 and -R, as tshark takes them: -R only with -2, and two passes only over a file. */
function checkTwoPass(opts: MainOptions): void {
  if (opts.readFilter !== undefined && !opts.twoPass) throw new UsageError('-R without -2 is deprecated. For single-pass filtering use -Y.');
  if (opts.twoPass && opts.readFile === undefined && !opts.listInterfaces) throw new UsageError('Live captures do not support two-pass analysis.');
}

/**
 * The first of -2's passes, as tshark's: every frame analysed in order, the read filter (-R) on
 * each, and what the second pass knows from it: the forward references (http.response_in) and,
 * with -R, for each frame number read, the kept frame's number from 1 (0: dropped; null without
 * -R). -c counts frames read. With -R each frame is numbered as tshark's first pass numbers it,
 * after the frames kept before it (setPassNumbers), which is what the read filter's frame.number
 * and every field naming a frame read.
 */
function firstPass(opts: MainOptions, files: string[], sharedAcks: SharedNumberAcks | null): Uint32Array | null {
  const readFilter = opts.readFilter !== undefined ? hooks.compileFilter!(opts.readFilter) : null;
  let reader = openReader(files[0]);
  let kept = new Uint32Array(1024);
  let passNumbers = new Uint32Array(1024);
  let keptCount = 0;
  if (readFilter !== null) setPassNumbers(passNumbers);
  const forward = new ForwardRefCollector();
  const analyzers = makeAnalyzers(opts, reader);
  analyzers.push(forward);
  if (sharedAcks !== null) analyzers.push(sharedAcks.recorder);
  const pipeline = new Pipeline({ sink: null, filter: readFilter, maxFrames: opts.count ?? 0, analyzers });
  const frame = new CapturedFrame();
  try {
    for (let nextFile = 1; ;) {
      let more = false;
      try {
        more = reader.next(frame);
      } catch (e) {
        // the second pass meets the same damage and says so
        if (e instanceof CaptureFileError) break;
        throw e;
      }
      if (!more) {
        if (nextFile >= files.length) break;
        reader.close();
        reader = openReader(files[nextFile++]);
        continue;
      }
      const n = pipeline.framesRead + 1;
      if (n >= kept.length) {
        kept = grownTable(kept);
        passNumbers = grownTable(passNumbers);
        if (readFilter !== null) setPassNumbers(passNumbers);
      }
      passNumbers[n] = keptCount + 1;
      const more2 = pipeline.handle(frame);
      if (pipeline.lastShown) kept[n] = ++keptCount;
      if (!more2) break;
    }
  } finally {
    pipeline.end();
    reader.close();
  }
  forward.install();
  return readFilter !== null ? kept : null;
}

/** A table of frame numbers twice as long, its entries kept. */
function grownTable(t: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(t.length * 2);
  grown.set(t);
  return grown;
}

/** -d: this run's Decode As rules (the UI's indexing process applies them again from the options). */
function checkDecodeAs(args: string[]): void {
  const r = applyDecodeAs(args);
  if (r.error !== undefined) throw new UsageError(r.error);
  for (const w of r.warnings) process.stderr.write(`tcpwatch: warning: ${sanitizeText(w)}\n`);
}

/** -N and -H, checked before anything is read; -n leaves every kind off. */
export function applyNameResolution(opts: MainOptions): void {
  if ((opts.hostsFile ?? []).length > 0 && !(opts.nameResolve ?? '').includes('n')) throw new UsageError('-H applies to network names: add -N n');
  if (opts.nameResolve === undefined) return;
  const error = enableNameResolution(opts.nameResolve);
  if (error !== null) throw new UsageError(error);
  for (const f of opts.hostsFile ?? []) {
    if (!existsSync(f)) throw new UsageError(`-H ${f}: no such file`);
    addHostsFile(f);
  }
}

/** --remote belongs to -D, --remote-sudo and --ssh-command to a remote host: said, not ignored. */
function checkRemoteOptions(opts: MainOptions): void {
  if (opts.remote !== undefined && !opts.listInterfaces) throw new UsageError('--remote applies to -D (list a host\'s interfaces); to capture there, -i ssh://HOST/INTERFACE');
  const remote = opts.remote !== undefined || (opts.interfaces ?? [opts.interface]).some((i) => isRemoteInterface(i));
  if (!remote && opts.remoteSudo) throw new UsageError('--remote-sudo applies to remote interfaces: -i ssh://HOST/INTERFACE');
  if (!remote && opts.sshCommand !== undefined) throw new UsageError('--ssh-command applies to remote interfaces: -i ssh://HOST/INTERFACE');
}

/** -F, or the -w file's name, says pcap or pcapng. */
function writeFormat(opts: MainOptions): 'pcap' | 'pcapng' | undefined {
  return formatNamed(opts.writeFormat);
}

/** -t and -u, checked before anything is read. */
function applyTimeFormat(opts: MainOptions): void {
  const type = opts.timeFormat ?? 'r';
  if (!(TIME_TYPES as readonly string[]).includes(type)) {
    throw new UsageError(`invalid -t format "${type}": use ${TIME_TYPES.join(', ')}`);
  }
  const seconds = opts.secondsFormat ?? 's';
  if (seconds !== 's' && seconds !== 'hms') throw new UsageError(`invalid -u format "${seconds}": use s or hms`);
  setTimeFormat(type as TimeType, seconds === 'hms');
}

/** The sink, telling the Time column which packet was displayed last (for -t dd). */
function noteShown(sink: Sink | null, out: OutputBuffer, flushEach: boolean): Sink | null {
  if (sink === null) return null;
  noteShownTimes();
  // -l: each packet leaves at once, for a reader at the other end of a pipe
  if (flushEach) return { frame: (d) => { sink.frame(d); timeShown(d); out.flush(); }, end: () => sink.end() };
  return { frame: (d) => { sink.frame(d); timeShown(d); }, end: () => sink.end() };
}

/** -G REPORT, as tshark: the registry's fields, protocols or value names, then exit. */
function printGlossary(report: string | boolean): void {
  const name = report === true ? 'fields' : String(report);
  const text = name === 'fields' ? fieldsGlossary() : name === 'protocols' ? protocolsGlossary() : name === 'values' ? valuesGlossary() : null;
  if (text === null) throw new UsageError(`unknown -G report "${name}": use fields, protocols or values`);
  const out = new OutputBuffer(1);
  out.write(text);
  out.flush();
}

// Fields read straight from one frame's headers, whose values need no conversation state (no
// tcp.stream or udp.stream, relative numbers, analysis, TLS or columns). AE/CWR/ECE are not among them: once
// Accurate ECN is negotiated they become the ACE counter, which only the analysis knows.
// SACK edges count from the peer's initial sequence number, which only the analysis knows.
const HEADER_FIELD = /^frame\.(number|time_epoch|time_relative|time_delta|len|cap_len|encap_type|interface_id)$|^(eth|vlan|sll|ip|ipv6)(\.|$)|^(icmp|icmpv6)(\.(?!resp)|$)|^udp(\.(srcport|dstport|port|length|checksum|checksum\.status|payload))?$|^tcp\.(srcport|dstport|port|len|seq_raw|ack_raw|hdr_len|flags|flags\.(syn|ack|fin|reset|push|urg|res)|window_size_value|checksum|urgent_pointer|payload|options(\.(?!sack_le|sack_re|sack\.dsack).*)?)$/;
export function isHeaderField(name: string): boolean {
  return HEADER_FIELD.test(name);
}

function readFileHeadless(opts: MainOptions): void {
  const account = opts.user !== undefined ? checkDropPrivileges(opts.user) : null;
  // Several files (-r 'ring_*.pcapng') are one capture: the same analysis runs on through them.
  const files = captureFiles(opts.readFile!);
  let reader = openReader(files[0]);
  let nextFile = 1;
  const out = new OutputBuffer(1);
  setTimeDigits(timeDigitsFor(reader)());
  const sink = noteShown(makeSink(opts, out, timeDigitsFor(reader)), out, opts.lineBuffered === true);
  const filter = hooks.compileFilter && opts.displayFilter !== undefined ? hooks.compileFilter(opts.displayFilter) : null;
  if ((opts.displayFilter !== undefined || opts.readFilter !== undefined) && !hooks.compileFilter) throw new UsageError('display filters are not available in this build');
  const sharedAcks = opts.twoPass === true && opts.readFilter !== undefined ? new SharedNumberAcks() : null;
  const keptNumbers = opts.twoPass === true ? firstPass(opts, files, sharedAcks) : null;
  let writer: CaptureWriter | null = null;
  const frame = new CapturedFrame();
  // -z: statistics over every frame read, after all other analysis
  const statistics = opts.statistics?.length ? new Statistics(opts.statistics) : null;
  const objects = opts.exportObjects !== undefined ? exportObjects(opts.exportObjects) : null;
  const analyse = statistics !== null || objects !== null || keptNumbers !== null || !(opts.outputFormat === 'fields' && opts.displayFilter === undefined && opts.field.every(isHeaderField));
  const analyzers = analyse ? makeAnalyzers(opts, reader) : [];
  if (sharedAcks !== null && keptNumbers !== null) analyzers.push(sharedAcks.applier(keptNumbers));
  // with -2 -R, tshark's taps see only the frames the read filter kept
  if (statistics !== null) analyzers.push(keptNumbers === null ? statistics : { analyze: (d) => { if (d.number < keptNumbers.length && keptNumbers[d.number] !== 0) statistics.analyze(d); } });
  if (objects !== null) analyzers.push(objects.analyzer);
  const pipeline = new Pipeline({ sink, filter, maxFrames: opts.count ?? 0, analyzers, analyse, keptNumbers });
  // As tcpdump with -r: root is given up once the file (and key log) are open, before -w creates anything.
  if (account !== null) {
    try {
      dropPrivileges(account);
    } catch (e) {
      throw new UsageError(`-Z ${account.name}: ${(e as Error).message}`);
    }
  }
  let damaged: CaptureFileError | null = null;
  let writeFailure: CaptureWriteError | null = null;
  try {
    for (;;) {
      let more: boolean;
      try {
        more = reader.next(frame);
      } catch (e) {
        if (e instanceof CaptureFileError) { damaged = e; break; }
        throw e;
      }
      if (!more) {
        if (nextFile >= files.length) break;
        reader.close();
        reader = openReader(files[nextFile++]);
        continue;
      }
      const more2 = pipeline.handle(frame);
      if (opts.write !== undefined && pipeline.lastShown) {
        if (writer === null) writer = openOutputFile(opts.write, frame.linkType, writeFormat(opts));
        try {
          writer.write(frame);
        } catch (e) {
          if (!(e instanceof CaptureWriteError)) throw new UsageError((e as Error).message);
          writeFailure = e;
          break;
        }
      }
      if (!more2 || out.closed) break;
    }
  } finally {
    pipeline.end();
    try {
      writer?.close();
    } catch (e) {
      if (!(e instanceof CaptureWriteError)) throw e;
      writeFailure ??= e;
    }
    reader.close();
  }
  if (statistics !== null && !out.closed) {
    out.write(statistics.text());
    out.flush();
  }
  if (objects !== null) {
    objects.writer.ensureDir();
    const line = objects.writer.summary();
    if (line !== null) process.stderr.write(line + '\n');
  }
  if (opts.write !== undefined && writer === null) openOutputFile(opts.write, reader.interfaces[0]?.linkType ?? 1, writeFormat(opts)).close();
  if (writeFailure !== null) {
    const n = writeFailure.framesInFile;
    fail(`${writeFailure.message}; stopped, the file holds the first ${n} packet${n === 1 ? '' : 's'}`, EXIT_RUN_FAILED);
  }
  if (damaged) fail(damaged.message);
}
