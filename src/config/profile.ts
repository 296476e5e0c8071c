// Configuration profiles, as Wireshark keeps them: the Default profile is tcpwatch's configuration
// directory itself ($XDG_CONFIG_HOME/tcpwatch, else ~/.config/tcpwatch), another one its
// profiles/NAME directory (`--profile NAME`, or tshark's `-C NAME`). A profile holds files in
// Wireshark's own formats, so a user can read and edit them:
//   preferences     `name: value` lines: gui.column.format, tls.keylog_file (the same as -o takes)
//   recent          `gui.time_format: RELATIVE` and the column widths (`column.width:`), what the UI last showed
//   recent_common   `recent.display_filter: EXPR`, the display filters last applied, newest first
//   colorfilters    the colouring rules (src/ui/colours.ts reads it)
// Lines tcpwatch does not know are kept when it writes a file back (a Wireshark profile holds many).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';

export const DEFAULT_PROFILE = 'Default';
export const PREFERENCES_FILE = 'preferences';
export const RECENT_FILE = 'recent';
export const RECENT_COMMON_FILE = 'recent_common';
export const RECENT_FILTER_KEY = 'recent.display_filter';
export const TIME_FORMAT_KEY = 'gui.time_format';
export const COLUMN_WIDTH_KEY = 'column.width';
/** As many display filters as Wireshark's recent_common keeps by default (gui.recent_display_filter_entries.max). */
export const MAX_RECENT_FILTERS = 10;

/** tcpwatch's configuration directory (XDG Base Directory: $XDG_CONFIG_HOME/tcpwatch, else ~/.config/tcpwatch). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME ?? '', '.config');
  return path.join(base, 'tcpwatch');
}

/** Where profile NAME lives; a name that would leave the profiles directory is refused. */
export function profileDir(name: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (name === undefined || name === DEFAULT_PROFILE) return configDir(env);
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) throw new UsageError(`invalid profile name "${name}": a name without / or \\`);
  return path.join(configDir(env), 'profiles', name);
}

/** The profile a run uses: the Default one even when its directory is not there yet; another must exist, as tshark -C wants. */
export function openProfile(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Profile {
  const dir = profileDir(name, env);
  if (name !== undefined && name !== DEFAULT_PROFILE && !isDirectory(dir)) {
    throw new UsageError(`Configuration Profile "${name}" does not exist (make the directory ${dir} to start it)`);
  }
  return new Profile(name ?? DEFAULT_PROFILE, dir);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `name: value` lines of a Wireshark preferences-style file, in order (comments and blank lines skipped). */
export function parseSettings(text: string): [string, string][] {
  const out: [string, string][] = [];
  let key = '', value = '';
  const flush = (): void => {
    if (key !== '') out.push([key, value.trim()]);
    key = '';
    value = '';
  };
  for (const raw of text.split(/\r?\n/)) {
    if (raw.startsWith('#') || raw.trim() === '') {
      flush();
      continue;
    }
    // Wireshark continues a long value on lines that start with white space.
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && key !== '') {
      value += ' ' + raw.trim();
      continue;
    }
    flush();
    const colon = raw.indexOf(':');
    if (colon <= 0) continue;
    key = raw.slice(0, colon).trim();
    value = raw.slice(colon + 1);
  }
  flush();
  return out;
}

export class Profile {
  constructor(readonly name: string, readonly dir: string) {}

  private read(file: string): string {
    try {
      return fs.readFileSync(path.join(this.dir, file), 'utf8');
    } catch {
      return '';
    }
  }

  settings(file: string): [string, string][] {
    return parseSettings(this.read(file));
  }

  /** The last value of `key` in `file`, or undefined. */
  setting(file: string, key: string): string | undefined {
    let v: string | undefined;
    for (const [k, val] of this.settings(file)) if (k === key) v = val;
    return v;
  }

  /** The profile's preferences that tcpwatch honours, as -o NAME:VALUE arguments (the command line's own -o come after and win). */
  preferences(known: ReadonlySet<string>): string[] {
    return this.settings(PREFERENCES_FILE).filter(([k]) => known.has(k)).map(([k, v]) => `${k}:${v}`);
  }

  recentFilters(): string[] {
    return this.settings(RECENT_COMMON_FILE).filter(([k]) => k === RECENT_FILTER_KEY).map(([, v]) => v).filter((v) => v !== '').slice(0, MAX_RECENT_FILTERS);
  }

  /**
   * Set `key` in `file` to each of `values` (one line each; none removes it), keeping every other
   * line. Written to a new file then renamed over the old one, so a crash never leaves half a file.
   * Returns an error message, or null.
   */
  write(file: string, key: string, values: readonly string[]): string | null {
    const lines = this.read(file).split(/\r?\n/);
    const kept: string[] = [];
    let skipping = false;
    for (const l of lines) {
      if (skipping && (l.startsWith(' ') || l.startsWith('\t'))) continue;
      skipping = false;
      const colon = l.indexOf(':');
      if (!l.startsWith('#') && colon > 0 && l.slice(0, colon).trim() === key) {
        skipping = true;
        continue;
      }
      kept.push(l);
    }
    while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
    // Newlines in a value would start lines of their own: a display filter is one line.
    for (const v of values) kept.push(`${key}: ${v.replace(/[\r\n]+/g, ' ')}`);
    const target = path.join(this.dir, file);
    const tmp = `${target}.tcpwatch-${process.pid}`;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(tmp, kept.join('\n') + '\n', { mode: 0o600 });
      fs.renameSync(tmp, target);
    } catch (e) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // a directory this user may not even look into (a live capture that gave up root): nothing was written
      }
      return `profile ${this.name}: cannot write ${target} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
    return null;
  }
}
