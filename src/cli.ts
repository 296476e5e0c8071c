// The command line: tshark's and tcpdump's options mapped onto a pipeline. This file only parses
// and wires; the work happens in capture/, decode/, analysis/, output/ and ui/.

import { Command, CommanderError } from 'commander';
import * as fs from 'node:fs';
import './fields';
import { CaptureFileReader, CaptureFileError } from './capture/file-reader';
import { CapturedFrame } from './capture/frame';
import { openOutputFile, CaptureWriter, CaptureWriteError } from './capture/file-writer';
import { checkDropPrivileges, dropPrivileges } from './capture/privileges';
import { Pipeline } from './pipeline';
import { hooks, installers, MainOptions, makeAnalyzers, preferences } from './hooks';
import './modules';
import { OutputBuffer } from './output/stdout';
import { FieldsSink, JsonSink, TextSink, Sink, parseFieldsOption, resolveFields, FieldsOptions } from './output/sinks';
import { UsageError } from './errors';
import { sanitizeLines, sanitizeText } from './output/sanitize';
import { ExplainSink, parseStreamOption } from './analysis/explain';
import { CompareSink } from './analysis/compare';

export const EXIT_USAGE = 2;
/** A run that started well and then failed (the -w disk filled up): tcpdump's status for it. */
export const EXIT_RUN_FAILED = 1;
export type { MainOptions };


/** A one-line error for the user, then exit status 2 (tshark's and tcpdump's convention for usage errors). */
export function fail(message: string, status = EXIT_USAGE): never {
  process.stderr.write(`tcpwatch: ${sanitizeText(message)}\n`);
  process.exit(status);
}

function parseCount(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`invalid packet count "${v}": expected a positive whole number`);
  return Number(v);
}

function parseSize(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`invalid ${name} "${v}": expected a positive whole number`);
    return Number(v);
  };
}

// tcpdump's -s 0 means "no limit"; libpcap's largest snapshot is 262144 bytes.
const MAX_SNAPLEN = 262144;
function parseSnaplen(v: string): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid snapshot length "${v}": expected a whole number of bytes (0 for the whole frame)`);
  const n = Number(v);
  return n === 0 || n > MAX_SNAPLEN ? MAX_SNAPLEN : n;
}

const collect = (v: string, prev: string[]): string[] => prev.concat([v]);

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

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tcpwatch')
    .description('A Wireshark-style packet sniffer for the terminal: capture live or read pcap/pcapng, see TCP and TLS as they are.')
    .usage('[options] [capture filter ...]')
    .option('-r, --read-file <file>', 'read packets from a pcap or pcapng file ("-" for standard input)')
    .option('-i, --interface <name>', 'capture live on this interface')
    .option('-D, --list-interfaces', 'list the interfaces tcpwatch can capture on, then exit')
    .option('-f, --capture-filter <bpf>', 'capture filter in libpcap (BPF) syntax; trailing words work too')
    .option('-c, --count <n>', 'stop after n packets', parseCount)
    .option('-w, --write <file>', 'write packets to a pcap or pcapng file (by extension)')
    .option('-s, --snaplen <bytes>', 'cut live frames to this many bytes (0: the whole frame, as tcpdump)', parseSnaplen)
    .option('-B, --buffer-size <MiB>', 'kernel capture buffer size in MiB', parseSize('buffer size'))
    .option('-p, --no-promiscuous', 'do not put the interface into promiscuous mode')
    .option('-T, --output-format <format>', 'headless output: text, fields, json, ndjson')
    .option('-e, --field <name>', 'field to print with -T fields (repeatable)', collect, [])
    .option('-E, --field-option <opt>', 'fields output option: header=y|n, separator=/t|/s|c, occurrence=f|l|a, aggregator=c, quote=d|s|n', collect, [])
    .option('-Y, --display-filter <expr>', 'display filter in Wireshark syntax')
    .option('-V, --verbose', 'print the packet details tree')
    .option('-x, --hex', 'print a hex and ASCII dump of each packet')
    .option('-n, --numeric', 'no name resolution (tcpwatch never resolves names; accepted for tshark users)')
    .option('-o, --pref <name:value>', 'preference, as tshark: tls.keylog_file:FILE', collect, [])
    .option('--keylog <file>', 'TLS key log file (SSLKEYLOGFILE format) for decryption')
    .option('--no-ui', 'print to standard output even on a terminal')
    // checked here, before a file is read or `demo` captures anything
    .option('--explain [stream]', 'explain a TCP stream packet by packet (headless)', (v: string) => (parseStreamOption('--explain', v), v))
    .option('--compare [stream]', 'show wire bytes next to plaintext for a stream (headless)')
    .option('-Z, --user <user>', 'drop root privileges to this user after opening the capture')
    .option('-q, --quiet', 'print no packets (with -w: only the summary)')
    .option('-P, --print', 'print packet summaries even while writing with -w')
    .argument('[filter...]', 'capture filter (BPF), as tcpdump takes it')
    .showHelpAfterError(false)
    .configureOutput({
      // Commander may add a second line ("(Did you mean --hex?)"); a usage error is one line.
      // Its messages quote the command line, which can hold escape sequences: sanitized like packet text.
      writeErr: (s) => process.stderr.write(s.startsWith('error: ')
        ? `tcpwatch: ${sanitizeText(s.slice(7).trim().split('\n').map((l) => l.trim()).join(' ').replace('(Did you mean', '(did you mean'))}\n`
        : sanitizeLines(s)),
    })
    .exitOverride()
    .action(async (filterWords: string[], opts: MainOptions) => {
      await runMain(opts, filterWords);
    });
  for (const install of installers) install(program);
  return program;
}

/** Decimal places of the time column: 9 for nanosecond captures, 6 otherwise, as tshark chooses. */
function timeDigitsFor(reader: CaptureFileReader | null): () => number {
  return () => (reader !== null && reader.nanosecond ? 9 : 6);
}

export function makeSink(opts: MainOptions, out: OutputBuffer, timeDigits: () => number): Sink | null {
  const format = opts.outputFormat ?? 'text';
  if (opts.quiet) return null;
  if (opts.explain !== undefined) return new ExplainSink(out, parseStreamOption('--explain', opts.explain), timeDigits);
  if (opts.compare !== undefined) return new CompareSink(out, parseStreamOption('--compare', opts.compare), compareWidth());
  // As tshark: writing a file prints nothing unless -P asks for summaries too.
  if (opts.write !== undefined && !opts.print && opts.outputFormat === undefined && !opts.verbose && !opts.hex) return null;
  switch (format) {
    case 'text':
      return new TextSink(out, { details: !!opts.verbose, hex: !!opts.hex, summary: !!opts.print, timeDigits });
    case 'fields': {
      if (opts.field.length === 0) throw new UsageError('-T fields needs at least one -e FIELD');
      const fo: FieldsOptions = { header: false, separator: '\t', occurrence: 'a', aggregator: ',', quote: '' };
      for (const spec of opts.fieldOption) parseFieldsOption(fo, spec);
      return new FieldsSink(out, resolveFields(opts.field), fo);
    }
    case 'json':
    case 'ndjson':
      return new JsonSink(out, format === 'ndjson', opts.field.length ? resolveFields(opts.field) : undefined);
    default:
      throw new UsageError(`unknown output format "${format}" for -T: use text, fields, json or ndjson`);
  }
}


/** --compare's width: the terminal's when it is one, else wide enough for 16 bytes per hex line beside the text. */
function compareWidth(): number {
  return process.stdout.isTTY && process.stdout.columns ? Math.max(80, process.stdout.columns) : 140;
}

/** Run the main command with parsed options; `tcpwatch demo` calls it to show what it captured. */
export async function runMain(opts: MainOptions, filterWords: string[]): Promise<void> {
  if (opts.fieldOption.length && opts.outputFormat !== 'fields') {
    // tshark accepts -E only with -T fields; say so rather than ignore it
    throw new UsageError('-E applies to -T fields only');
  }
  if (opts.field.length && !FORMATS_WITH_FIELDS.includes(opts.outputFormat ?? 'text')) {
    throw new UsageError('-e applies to -T fields, json or ndjson: add -T fields');
  }
  if (opts.readFile !== undefined && opts.interface !== undefined) {
    // tshark reads the file and ignores -i without a word; one input, said plainly
    throw new UsageError('-r and -i both name an input: read a file (-r FILE) or capture live (-i INTERFACE), not both');
  }
  for (const p of opts.pref) checkPreference(p);
  if (opts.user !== undefined) checkDropPrivileges(opts.user);
  const captureFilter = opts.captureFilter ?? (filterWords.length ? filterWords.join(' ') : undefined);
  if (opts.listInterfaces) {
    if (!hooks.listInterfaces) throw new UsageError('live capture is not available in this build');
    hooks.listInterfaces();
    return;
  }
  const headless = !opts.ui || !process.stdout.isTTY || opts.outputFormat !== undefined || opts.verbose || opts.hex ||
    opts.quiet || opts.explain !== undefined || opts.compare !== undefined;
  if (!headless && hooks.ui) {
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

// Fields read straight from one frame's headers, whose values need no conversation state (no
// tcp.stream, relative numbers, analysis, TLS or columns). AE/CWR/ECE are not among them: once
// Accurate ECN is negotiated they become the ACE counter, which only the analysis knows.
const HEADER_FIELD = /^frame\.(number|time_epoch|time_relative|time_delta|len|cap_len|encap_type|interface_id)$|^(eth|vlan|sll|ip|ipv6|udp|icmp|icmpv6)(\.|$)|^tcp\.(srcport|dstport|port|len|seq_raw|ack_raw|hdr_len|flags|flags\.(syn|ack|fin|reset|push|urg|res)|window_size_value|checksum|urgent_pointer|payload|options(\..*)?)$/;
export function isHeaderField(name: string): boolean {
  return HEADER_FIELD.test(name);
}

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

function readFileHeadless(opts: MainOptions): void {
  const account = opts.user !== undefined ? checkDropPrivileges(opts.user) : null;
  const reader = openReader(opts.readFile!);
  const out = new OutputBuffer(1);
  const sink = makeSink(opts, out, timeDigitsFor(reader));
  const filter = hooks.compileFilter && opts.displayFilter !== undefined ? hooks.compileFilter(opts.displayFilter) : null;
  if (opts.displayFilter !== undefined && !hooks.compileFilter) throw new UsageError('display filters are not available in this build');
  let writer: CaptureWriter | null = null;
  const frame = new CapturedFrame();
  const analyse = !(opts.outputFormat === 'fields' && opts.displayFilter === undefined && opts.field.every(isHeaderField));
  const pipeline = new Pipeline({ sink, filter, maxFrames: opts.count ?? 0, analyzers: analyse ? makeAnalyzers(opts, reader) : [], analyse });
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
      if (!more) break;
      const more2 = pipeline.handle(frame);
      if (opts.write !== undefined && pipeline.lastShown) {
        if (writer === null) writer = openOutputFile(opts.write, frame.linkType);
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
  if (opts.write !== undefined && writer === null) openOutputFile(opts.write, reader.interfaces[0]?.linkType ?? 1).close();
  if (writeFailure !== null) {
    const n = writeFailure.framesInFile;
    fail(`${writeFailure.message}; stopped, the file holds the first ${n} packet${n === 1 ? '' : 's'}`, EXIT_RUN_FAILED);
  }
  if (damaged) fail(damaged.message);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
      process.exit(EXIT_USAGE);
    }
    if (e instanceof UsageError) fail(e.message);
    throw e;
  }
}
