// The command line: tshark's and tcpdump's options, parsed by commander into MainOptions for
// src/app/main-command.ts. This file only parses; the features (src/app/features.ts) add their
// options and subcommands, and the work happens in capture/, decode/, analysis/, output/ and ui/.

import { Command, CommanderError } from 'commander';
import { installers, MainOptions } from './hooks';
import './app/features';
import { UsageError, fail, EXIT_USAGE } from './errors';
import { parseStreamOption } from './reports/explain';
import { runMain } from './app/main-command';
import { settleBeforeExit } from './process-exit';
import { sanitizeLines, sanitizeText } from './output/sanitize';

export type { MainOptions };

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

// -i may be repeated: every one is kept (opts.interfaces); opts.interface stays the first, a string.
let lastInterfaces: string[] = [];
function collectInterfaces(v: string, prev: string | undefined): string {
  lastInterfaces = prev === undefined ? [v] : lastInterfaces.concat([v]);
  return prev ?? v;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tcpwatch')
    .description('A Wireshark-style packet sniffer for the terminal: capture live or read pcap/pcapng, see TCP and TLS as they are.')
    .usage('[options] [capture filter ...]')
    .option('-r, --read-file <file>', 'read packets from a pcap or pcapng file ("-" for standard input)')
    .option('-i, --interface <name>', 'capture live on this interface: a local one, or ssh://[user@]host[:port]/IFACE (repeatable: several merged in one capture)', collectInterfaces)
    .option('-D, --list-interfaces', 'list the interfaces tcpwatch can capture on, then exit')
    .option('-f, --capture-filter <bpf>', 'capture filter in libpcap (BPF) syntax; trailing words work too')
    .option('-c, --count <n>', 'stop after n packets', parseCount)
    .option('-w, --write <file>', 'write packets to a pcap or pcapng file (by extension)')
    .option('-b, --ring-buffer <key:value>', 'live -w in several files, as dumpcap: filesize:KB, duration:SECONDS, packets:N, files:N (keep the last N) (repeatable)', collect, [])
    .option('-a, --autostop <key:value>', 'stop a live capture, as dumpcap: duration:SECONDS, filesize:KB, packets:N, files:N (repeatable)', collect, [])
    .option('-s, --snaplen <bytes>', 'cut live frames to this many bytes (0: the whole frame, as tcpdump)', parseSnaplen)
    .option('-B, --buffer-size <MiB>', 'kernel capture buffer size in MiB', parseSize('buffer size'))
    .option('-p, --no-promiscuous', 'do not put the interface into promiscuous mode')
    .option('-T, --output-format <format>', 'headless output: text, fields, json, jsonraw, ndjson, pdml, ek, psml')
    .option('-e, --field <name>', 'field to print with -T fields (repeatable)', collect, [])
    .option('-E, --field-option <opt>', 'fields output option: header=y|n, separator=/t|/s|c, occurrence=f|l|a, aggregator=c, quote=d|s|n', collect, [])
    .option('-Y, --display-filter <expr>', 'display filter in Wireshark syntax')
    .option('-2, --two-pass', 'read the file twice, as tshark -2: with -R, the frames the read filter keeps are numbered and shown alone')
    .option('-R, --read-filter <expr>', 'with -2: read filter in Wireshark syntax; frames it drops are gone from the output, the others numbered from 1')
    .option('-V, --verbose', 'print the packet details tree')
    .option('-x, --hex', 'print a hex and ASCII dump of each packet')
    .option('-n, --numeric', 'no name resolution (the default; -N turns kinds on)')
    .option('-N, --name-resolve <flags>', 'name resolution, as tshark, from files and the capture only (never a DNS query): m (MAC vendors, Wireshark\'s manuf), n (hosts files and the capture\'s DNS answers), d (learn from DNS answers), t (port names)')
    .option('-H, --hosts-file <file>', 'with -N n: one more hosts file, as tshark -H (repeatable)', collect, [])
    .option('-o, --pref <name:value>', 'preference, as tshark: tls.keylog_file:FILE, gui.column.format:"No.","%m","TTL","%Cus:ip.ttl",…', collect, [])
    .option('-C, --profile <name>', 'configuration profile, as tshark -C: ~/.config/tcpwatch/profiles/NAME (its preferences, columns, colouring rules, recent filters)')
    .option('-d, --decode-as <rule>', 'decode as, as tshark: tcp.port==8989,http; udp.port==5353,dns; ports N, N-M or N:COUNT (repeatable)', collect, [])
    .option('--keylog <file>', 'TLS key log file (SSLKEYLOGFILE format) for decryption')
    .option('--no-ui', 'print to standard output even on a terminal')
    // checked here, before a file is read or `demo` captures anything
    .option('--explain [stream]', 'explain a TCP stream packet by packet (headless)', (v: string) => (parseStreamOption('--explain', v), v))
    .option('--compare [stream]', 'show wire bytes next to plaintext for a stream (headless)')
    .option('-Z, --user <user>', 'drop root privileges to this user after opening the capture')
    .option('-q, --quiet', 'print no packets (with -w: only the summary)')
    .option('-P, --print', 'print packet summaries even while writing with -w')
    // ---- tshark's statistics and field lists (src/app/statistics.ts, src/app/glossary.ts) ----
    .option('-z, --statistics <spec>', 'statistics printed at the end, as tshark: conv,TYPE endpoints,TYPE io,phs follow,tcp,ascii,N … (repeatable)', collect, [])
    .option('-t, --time-format <format>', 'Time column, as tshark: r (relative, the default), a, ad, adoy, u, ud, udoy (absolute), e (epoch), d, dd (delta)')
    .option('-u, --seconds-format <format>', 'seconds in the Time column: s, or hms for hours, minutes and seconds')
    .option('-F, --write-format <format>', 'format of the -w file: pcap or pcapng (default: by the file name)')
    .option('-j, --protocol-match <protocols>', 'with -T json or ndjson: only these protocols\' fields ("ip tcp"), their subtrees folded')
    .option('-J, --protocol-match-expanded <protocols>', 'with -T json or ndjson: only these protocols\' fields, subtrees in full')
    .option('--no-duplicate-keys', 'with -T json: the values of a key that repeats in an object as one array, as tshark (ndjson always does)')
    .option('-l, --line-buffered', 'flush standard output after each packet, as tshark -l (for a pipe read as it comes)')
    .option('--export-objects <proto,dir>', 'save the objects a protocol carried into DIR, as tshark: http,DIR')
    .option('-G, --glossary [report]', 'print a registry report and exit, as tshark: fields, protocols, values')
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
      if (opts.interface !== undefined) opts.interfaces = lastInterfaces;
      await runMain(opts, filterWords);
    });
  for (const install of installers) install(program);
  return program;
}

/**
 * tshark's -2 is a digit option, so commander takes any "-N" word for an option; the optional value of
 * --explain and --compare keeps a negative number (refused by its own check) by being joined to it.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if ((argv[i] === '--explain' || argv[i] === '--compare') && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(joinNegativeValues(argv));
    await settleBeforeExit();
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
      process.exit(EXIT_USAGE);
    }
    if (e instanceof UsageError) fail(e.message);
    throw e;
  }
}
