// Where feature modules plug into the command line without cli.ts knowing them: each module
// (display filters, live capture, TLS, UI, lab commands) sets a hook or adds a subcommand when it is
// imported from src/app/features.ts.

import type { Command } from 'commander';
import type { CaptureFileReader } from './capture/file-reader';
import type { DisplayFilter, Analyzer } from './pipeline';

/** Options of the main (capture / read) command. */
export interface MainOptions {
  readFile?: string;
  /** The first -i. */
  interface?: string;
  /** Every -i, in order (a capture on several interfaces when more than one). */
  interfaces?: string[];
  listInterfaces?: boolean;
  captureFilter?: string;
  count?: number;
  write?: string;
  snaplen?: number;
  bufferSize?: number;
  promiscuous: boolean;
  outputFormat?: string;
  field: string[];
  fieldOption: string[];
  displayFilter?: string;
  /** -2: two passes over the file (src/app/main-command.ts). */
  twoPass?: boolean;
  /** -R: the read filter of a two-pass run. */
  readFilter?: string;
  verbose?: boolean;
  hex?: boolean;
  numeric?: boolean;
  /** -N FLAGS: the kinds of names shown (src/fields/names.ts). */
  nameResolve?: string;
  /** -H FILE: hosts files read after /etc/hosts and Wireshark's. */
  hostsFile?: string[];
  pref: string[];
  /** -C / --profile: the configuration profile (src/config/profile.ts); undefined: the Default one. */
  profile?: string;
  /** -d LAYER==SELECTOR,PROTOCOL, as tshark: Decode As (src/decode/decode-as.ts), in the order given. */
  decodeAs?: string[];
  keylog?: string;
  ui: boolean;
  explain?: string | boolean;
  compare?: string | boolean;
  user?: string;
  quiet?: boolean;
  print?: boolean;
  // ---- tshark's statistics, field lists and time formats (src/app/statistics.ts, src/app/glossary.ts) ----
  /** -z statistics, in the order given. */
  statistics?: string[];
  /** -G report. */
  glossary?: string | boolean;
  /** -t: the Time column's format (tshark's a, ad, adoy, d, dd, e, r, u, ud, udoy). */
  timeFormat?: string;
  /** -u: s or hms. */
  secondsFormat?: string;
  /** -F: the -w file's format (pcap or pcapng), whatever its name. */
  writeFormat?: string;
  /** -j / -J: protocols JSON shows, their subtrees folded (-j) or in full (-J). */
  protocolMatch?: string;
  protocolMatchExpanded?: string;
  /** --export-objects PROTO,DIR (src/reports/export-objects.ts). */
  exportObjects?: string;
  /** false with --no-duplicate-keys: -T json writes the values of a repeated key as one array, as tshark's option. */
  duplicateKeys?: boolean;
  /** -l: flush the output after each packet. */
  lineBuffered?: boolean;
  // ---- long captures (src/capture/ring-writer.ts) ----
  /** -b KEY:VALUE, as dumpcap: filesize, duration, files. */
  ringBuffer?: string[];
  /** -a KEY:VALUE, as dumpcap: duration, filesize, packets, files. */
  autostop?: string[];
  // ---- remote interfaces (src/capture/remote.ts) ----
  /** --remote ssh://host: the host whose interfaces -D lists. */
  remote?: string;
  /** --remote-sudo: the remote tcpdump runs under sudo -n. */
  remoteSudo?: boolean;
  /** --ssh-command: the ssh client and its options. */
  sshCommand?: string;
}

/** Hooks that later stages (live capture, UI, TLS decryption) provide; the CLI calls them when present. */
export const hooks: {
  live?: (opts: MainOptions, filter: string | undefined) => Promise<void>;
  listInterfaces?: (opts: MainOptions) => Promise<void>;
  ui?: (opts: MainOptions, filter: string | undefined) => Promise<void>;
  /** Compile a display filter (-Y); throws UsageError with the position of a mistake. */
  compileFilter?: (expr: string) => DisplayFilter;
  /** Compile a colouring rule's filter: unknown protocols and fields make their test false (src/filter/index.ts). */
  compileRuleFilter?: (expr: string) => { filter: DisplayFilter; unknown: string[] };
} = {};

/**
 * An analysis stage beyond TCP streams (TLS records, decryption, verdicts …). Its factory is called
 * once per capture with the options and the file being read (null when live) and returns its
 * analyzer, or null when it has nothing to do.
 */
export type AnalyzerFactory = (opts: MainOptions, reader: CaptureFileReader | null) => Analyzer | null;

export interface StageSpec {
  /** The stage's name, for other stages' `after`. */
  name: string;
  /** Stages whose results this one reads for the same frame: they run first. (TCP streams always run first of all.) */
  after: readonly string[];
  /**
   * Runs after every stage that does not say this (the data dissector takes the bytes no stage
   * claimed): a stage can name the stages it follows, not those that will be added after it.
   */
  last?: boolean;
  make: AnalyzerFactory;
}

const stages: StageSpec[] = [];

export function registerStage(spec: StageSpec): void {
  if (stages.some((s) => s.name === spec.name)) throw new Error(`analysis stage ${spec.name} is registered twice`);
  stages.push(spec);
}

/**
 * The registered stages in an order where every stage runs after those it names (a topological
 * order; stages that name none of each other keep the order they were registered in), those
 * marked `last` after all the others. A stage that names one nobody registered, one that runs last
 * while it does not, or a circle of stages, is a programming error.
 */
export function stageOrder(list: readonly StageSpec[] = stages): StageSpec[] {
  const byName = new Map(list.map((s) => [s.name, s]));
  const done = new Set<string>(), visiting = new Set<string>(), out: StageSpec[] = [];
  const visit = (s: StageSpec): void => {
    if (done.has(s.name)) return;
    if (visiting.has(s.name)) throw new Error(`analysis stages in a circle through ${s.name}`);
    visiting.add(s.name);
    for (const a of s.after) {
      const before = byName.get(a);
      if (before === undefined) throw new Error(`analysis stage ${s.name} runs after ${a}, which is not registered`);
      if (before.last === true && s.last !== true) throw new Error(`analysis stage ${s.name} runs after ${a}, which runs last`);
      visit(before);
    }
    visiting.delete(s.name);
    done.add(s.name);
    out.push(s);
  };
  for (const s of list) if (s.last !== true) visit(s);
  for (const s of list) visit(s);
  return out;
}

export function makeAnalyzers(opts: MainOptions, reader: CaptureFileReader | null): Analyzer[] {
  const out: Analyzer[] = [];
  for (const s of stageOrder()) {
    const a = s.make(opts, reader);
    if (a !== null) out.push(a);
  }
  return out;
}

/** Preference names `-o NAME:VALUE` accepts (tshark's spelling), added by the modules that honour them. */
export const preferences = new Set<string>();

/** Subcommands (chat, tls, demo …) install themselves here. */
export type CommandInstaller = (program: Command) => void;
export const installers: CommandInstaller[] = [];
export function addCommands(installer: CommandInstaller): void {
  installers.push(installer);
}
