// Driving the real program in a real terminal: a private tmux server (its own socket, no user
// config), a 160x50 window, keys sent with send-keys and the screen read back with capture-pane
// (-e keeps the colour escapes, so tests can assert what the user sees, colours included).

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from './corpus';

export function haveTmux(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

let serial = 0;

export class Tmux {
  readonly socket: string;
  readonly session: string;

  private constructor(readonly width: number, readonly height: number) {
    this.socket = `tcpwatch-test-${process.pid}-${++serial}`;
    this.session = 'ui';
  }

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /** Start `tcpwatch ARGS` in a fresh terminal; env adds to a clean TERM=xterm-256color environment. */
  static start(args: string[], env: Record<string, string> = {}, width = 160, height = 50): Tmux {
    const t = new Tmux(width, height);
    const envArgs = terminalEnv(env);
    // When tcpwatch exits the shell prints a marker and waits, so the screen can still be read.
    const cmd = `env -u NO_COLOR ${envArgs} ${shellQuote(process.execPath)} ${shellQuote(CLI)} ${args.map(shellQuote).join(' ')}; echo "[tcpwatch exited $?]"; sleep 30`;
    t.tmux(['new-session', '-d', '-x', String(width), '-y', String(height), '-s', t.session, cmd]);
    return t;
  }

  /**
   * Run ARGV as the terminal's only program (no shell around it), for tests that end the terminal
   * itself (kill()) and read what happened from files.
   */
  static startProgram(argv: string[], env: Record<string, string> = {}, width = 160, height = 50): Tmux {
    const t = new Tmux(width, height);
    const envArgs = terminalEnv(env);
    t.tmux(['new-session', '-d', '-x', String(width), '-y', String(height), '-s', t.session, `exec env -u NO_COLOR ${envArgs} ${argv.map(shellQuote).join(' ')}`]);
    return t;
  }

  /** Process id of the program the terminal runs (the shell of start(), the program of startProgram()). */
  panePid(): number {
    return Number(this.tmux(['display-message', '-p', '-t', this.session, '#{pane_pid}']).trim());
  }

  /** A tmux command on this terminal's server (set-option, show-buffer …); its output. */
  command(args: string[]): string {
    return this.tmux(args);
  }

  /** Send keys (tmux key names) in one command, so the program reads them together. */
  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', this.session, ...keys]);
  }

  /** Send text literally (bytes the terminal would deliver, escape sequences included). */
  literal(text: string): void {
    this.tmux(['send-keys', '-t', this.session, '-l', text]);
  }

  screen(escapes = false): string {
    return this.tmux(['capture-pane', '-t', this.session, '-p', ...(escapes ? ['-e'] : [])]);
  }

  lines(escapes = false): string[] {
    return this.screen(escapes).split('\n');
  }

  paneTitle(): string {
    return this.tmux(['display-message', '-t', this.session, '-p', '#{pane_title}']).trim();
  }

  resize(width: number, height: number): void {
    this.tmux(['resize-window', '-t', this.session, '-x', String(width), '-y', String(height)]);
  }

  /**
   * Wait until the screen satisfies `ok` and has stopped changing (a redraw can be caught half
   * written: tmux is still parsing the rest of it), checked every 40 ms; throws with the screen on
   * timeout.
   */
  async waitFor(ok: (screen: string) => boolean, what: string, timeoutMs = 15000, escapes = false): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let s = '';
    let last = '';
    for (;;) {
      s = this.screen(true);
      const shown = escapes ? s : plainScreen(s);
      if (ok(shown) && s === last) return shown;
      last = ok(shown) ? s : '';
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${shown}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  async waitForText(text: string | RegExp, timeoutMs = 15000): Promise<string> {
    return this.waitFor((s) => (typeof text === 'string' ? s.includes(text) : text.test(s)), String(text), timeoutMs);
  }

  kill(): void {
    // quiet when the server is already gone (a test that ended the terminal itself)
    spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', 'kill-server'], { stdio: 'ignore' });
    // tmux leaves its socket file behind; each test run makes new ones.
    const dir = path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`);
    fs.rmSync(path.join(dir, this.socket), { force: true });
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The line of the screen that contains `needle` (with its escapes when the screen has them). */
/** Quit a live capture whose packets no -w file holds: q asks, d discards and quits. */
export async function quitDiscarding(t: Tmux): Promise<void> {
  t.keys('q');
  await t.waitForText('d discard and quit');
  t.keys('d');
}

export function lineWith(screen: string, needle: string | RegExp): string {
  const l = screen.split('\n').find((x) => (typeof needle === 'string' ? plain(x).includes(needle) : needle.test(plain(x))));
  if (l === undefined) throw new Error(`no line with ${String(needle)} on screen:\n${screen}`);
  return l;
}

function plainScreen(s: string): string {
  return plain(s);
}

/** Strip SGR escapes, to compare a line's text once its colours have been checked. */
export function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

/**
 * The attributes in effect at index `end` of an escaped line, after every SGR before it, in a
 * canonical form: "1;4;7;38;5;16;48;5;114" (bold, underline, reverse, then foreground and background).
 */
export function sgrAt(line: string, end: number): string {
  let bold = false, underline = false, reverse = false, fg = '', bg = '';
  // eslint-disable-next-line no-control-regex
  for (const m of line.slice(0, end).matchAll(/\x1b\[([0-9;]*)m/g)) {
    const p = m[1] === '' ? [0] : m[1].split(';').map(Number);
    for (let k = 0; k < p.length; k++) {
      const c = p[k];
      if (c === 0) { bold = underline = reverse = false; fg = bg = ''; }
      else if (c === 1) bold = true;
      else if (c === 4) underline = true;
      else if (c === 7) reverse = true;
      else if (c === 22) bold = false;
      else if (c === 24) underline = false;
      else if (c === 27) reverse = false;
      else if (c === 39) fg = '';
      else if (c === 49) bg = '';
      else if (c === 38 && p[k + 1] === 5) { fg = `38;5;${p[k + 2]}`; k += 2; }
      else if (c === 48 && p[k + 1] === 5) { bg = `48;5;${p[k + 2]}`; k += 2; }
      else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) fg = String(c);
      else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) bg = String(c);
    }
  }
  return [bold ? '1' : '', underline ? '4' : '', reverse ? '7' : '', fg, bg].filter(Boolean).join(';');
}

/** Offsets of the bytes the hex pane shows highlighted (the selected node's bytes), from the escaped screen. */
export function highlightedBytes(escaped: string): number[] {
  const out: number[] = [];
  for (const line of escaped.split('\n')) {
    const text = plain(line);
    const m = /^([0-9a-f]{4})  ((?:[0-9a-f]{2} ){1,16})/.exec(text);
    if (m === null) continue;
    const base = parseInt(m[1], 16);
    for (let k = 0; k * 3 < m[2].length; k++) {
      const at = plainIndexAt(line, 6 + k * 3);
      if (/48;5;179/.test(sgrAt(line, at))) out.push(base + k);
    }
  }
  return out;
}

/** Index in the escaped line of the character at plain-text column `col`. */
export function plainIndexAt(line: string, col: number): number {
  let p = 0, i = 0;
  while (i < line.length) {
    // eslint-disable-next-line no-control-regex
    const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (m) { i += m[0].length; continue; }
    if (p === col) return i + 1;
    p++;
    i++;
  }
  return i;
}

/** The attributes of the cell at plain-text column `col` of an escaped line (sgrAt's form). */
export function sgrAtColumn(line: string, col: number): string {
  return sgrAt(line, plainIndexAt(line, col));
}

/**
 * The attributes in effect where the row whose text contains `needle` starts (sgrAt's form: "1;4;7;38;5;16;48;5;114",
 * bold, underline, reverse, then foreground and background as the terminal got them).
 */
export function rowSgr(screen: string, needle: string): string {
  const line = lineWith(screen, needle);
  return sgrAt(line, plainIndex(line, needle));
}

/** Index in the escaped line where the plain-text position of `needle` starts. */
export function plainIndex(line: string, needle: string): number {
  const target = plain(line).indexOf(needle);
  let p = 0, i = 0;
  while (i < line.length) {
    // eslint-disable-next-line no-control-regex
    const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i));
    if (m) { i += m[0].length; continue; }
    if (p === target) return i;
    p++;
    i++;
  }
  return i;
}

const emptyConfigs: string[] = [];

/**
 * The terminal's environment as `K=V` words: a clean xterm-256color, UTC and UTF-8, plus ENV; and
 * an empty configuration directory of its own unless ENV names one, so neither a colorfilters file
 * in the tester's ~/.config/tcpwatch nor what an earlier terminal of the test kept in its profile
 * (columns, time format, recent filters, a key log) can change what the screen shows.
 */
function terminalEnv(env: Record<string, string>): string {
  if (emptyConfigs.length === 0) process.on('exit', () => { for (const d of emptyConfigs) fs.rmSync(d, { recursive: true, force: true }); });
  let emptyConfig = '';
  if (env.XDG_CONFIG_HOME === undefined) {
    emptyConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'tcpwatch-tmux-config-'));
    emptyConfigs.push(emptyConfig);
  }
  const vars = { TERM: 'xterm-256color', LANG: 'C.UTF-8', TZ: 'UTC', XDG_CONFIG_HOME: emptyConfig, ...env };
  return Object.entries(vars).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
}
