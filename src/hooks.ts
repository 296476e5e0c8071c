// Where feature modules plug into the command line without cli.ts knowing them: each module
// (display filters, live capture, TLS, UI, lab commands) sets a hook or adds a subcommand when it is
// imported from src/app/features.ts.

import type { Command } from 'commander';
import type { CaptureFileReader } from './capture/file-reader';
import type { DisplayFilter, Analyzer } from './pipeline';

/** Options of the main (capture / read) command. */
export interface MainOptions {
  readFile?: string;
  interface?: string;
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
  verbose?: boolean;
  hex?: boolean;
  numeric?: boolean;
  pref: string[];
  keylog?: string;
  ui: boolean;
  explain?: string | boolean;
  compare?: string | boolean;
  user?: string;
  quiet?: boolean;
  print?: boolean;
}

/** Hooks that later stages (live capture, UI, TLS decryption) provide; the CLI calls them when present. */
export const hooks: {
  live?: (opts: MainOptions, filter: string | undefined) => Promise<void>;
  listInterfaces?: () => void;
  ui?: (opts: MainOptions, filter: string | undefined) => Promise<void>;
  /** Compile a display filter (-Y); throws UsageError with the position of a mistake. */
  compileFilter?: (expr: string) => DisplayFilter;
} = {};

/**
 * Analysis stages beyond TCP streams (TLS records, decryption …), in the order they run. Each factory
 * is called once per capture with the options and the file being read (null when live) and returns
 * its analyzer, or null when it has nothing to do.
 */
export type AnalyzerFactory = (opts: MainOptions, reader: CaptureFileReader | null) => Analyzer | null;
export const analyzerFactories: AnalyzerFactory[] = [];

export function makeAnalyzers(opts: MainOptions, reader: CaptureFileReader | null): Analyzer[] {
  const out: Analyzer[] = [];
  for (const f of analyzerFactories) {
    const a = f(opts, reader);
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
