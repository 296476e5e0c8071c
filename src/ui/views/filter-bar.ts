// The top line: the display filter in use, and the prompt where one is typed (or a packet number
// to go to). While typing, the expression is checked at every key: green when valid, red with the
// error and the column where it is when not. Up/Down walk the history.

import type * as blessed from 'blessed';
import { box, baseRender } from '../widgets/blessed-core';
import type { KeyEvent } from 'blessed';
import { put, fill, attr, INVERSE } from '../widgets/paint';
import { sanitizeText } from '../../output/sanitize';
import { Theme } from '../theme';
import { parseDecodeAs } from '../../decode/decode-as';
import { parsePacketRange } from '../packet-range';

export type PromptMode = 'idle' | 'filter' | 'goto' | 'find' | 'save' | 'export' | 'keylog' | 'decodeAs' | 'copy' | 'ioLine';

/** What Tab cycles through in a prompt: what a find looks for, which packets a save writes. */
export const FIND_KINDS = ['display filter', 'string', 'hex bytes', 'string in details'] as const;
/** Which packets a save writes, as Wireshark's Export Specified Packets offers them (a range: captured packet numbers). */
export const SAVE_KINDS = ['all packets', 'displayed packets', 'marked packets', 'first to last marked', 'packet range'] as const;
/** A followed stream's payload, raw: both sides in the order sent (as tshark -z follow,…,raw), or one side. */
export const EXPORT_KINDS = ['both sides', 'client bytes', 'server bytes'] as const;
export type ExportKind = typeof EXPORT_KINDS[number];
export const COPY_KINDS = ['field value', 'packet summary', 'packet hex'] as const;
export type CopyKind = typeof COPY_KINDS[number];
export type FindKind = typeof FIND_KINDS[number];
export type SaveKind = typeof SAVE_KINDS[number];

const KINDS: Partial<Record<PromptMode, readonly string[]>> = { find: FIND_KINDS, save: SAVE_KINDS, export: EXPORT_KINDS, copy: COPY_KINDS };
/** Hex bytes as Wireshark's find takes them: pairs of digits, optionally separated by spaces, colons or dashes. */
export const HEX_BYTES = /^\s*[0-9a-f]{2}([\s:.-]?[0-9a-f]{2})*\s*$/i;

/** A packet range save's text: the range, then after white space the file name ('' until typed). */
export function splitRangeAndFile(text: string): { range: string; file: string } {
  const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(text);
  return m === null ? { range: text.trim(), file: '' } : { range: m[1], file: m[2] };
}

export interface FilterCheckResult {
  ok: boolean;
  /** 1-based column of the mistake (0 when unknown). */
  column: number;
  reason: string;
}

const MAX_HISTORY = 100;

export class FilterBar {
  readonly el: blessed.Element;
  mode: PromptMode = 'idle';
  text = '';
  cursor = 0;
  /** The filter in use ('' for none), shown while idle. */
  applied = '';
  /** Progress of the running filter, 0..1, or -1 when none runs. */
  progress = -1;
  check: FilterCheckResult = { ok: true, column: 0, reason: '' };
  readonly history: string[] = [];
  private historyPos = -1;
  validate: (expr: string) => FilterCheckResult = () => ({ ok: true, column: 0, reason: '' });
  onSubmit: ((mode: PromptMode, text: string, kind: string) => void) | null = null;
  /** Index into the mode's kinds (FIND_KINDS, SAVE_KINDS); Tab moves it. */
  kind = 0;
  private lastFind = '';
  private lastMode: PromptMode = 'idle';
  onCancel: (() => void) | null = null;
  /** Called when typing starts or changes the text (a running filter is then cancelled). */
  onEdit: (() => void) | null = null;

  constructor(private readonly theme: Theme, pos: blessed.Position & { parent: blessed.Screen }) {
    this.el = box({ ...pos, tags: false });
    const base = baseRender;
    this.el.render = () => {
      const c = base.call(this.el);
      if (c) this.paint(c);
      return c;
    };
  }

  start(mode: Exclude<PromptMode, 'idle'>, text?: string): void {
    // Tab's choice is kept from one find to the next, not carried from a find into a save.
    if (mode !== this.lastMode) this.kind = 0;
    this.lastMode = mode;
    this.mode = mode;
    this.text = text ?? (mode === 'filter' ? this.applied : mode === 'find' ? this.lastFind : '');
    this.cursor = this.text.length;
    this.historyPos = -1;
    this.revalidate();
  }

  private revalidate(): void {
    const ok = { ok: true, column: 0, reason: '' };
    if (this.mode === 'filter' || this.mode === 'ioLine' || (this.mode === 'find' && this.kind === 0)) this.check = this.validate(this.text);
    else if (this.mode === 'find') {
      this.check = this.text === '' ? { ok: false, column: 0, reason: `type the ${FIND_KINDS[this.kind]} to find (Tab: what to find)` }
        : FIND_KINDS[this.kind] === 'hex bytes' && !HEX_BYTES.test(this.text) ? { ok: false, column: 0, reason: 'hex bytes are pairs of digits: 16 03 01 or 16:03:01' } : ok;
    } else if (this.mode === 'save') {
      const range = SAVE_KINDS[this.kind] === 'packet range' ? splitRangeAndFile(this.text) : null;
      // The numbers' syntax here; whether the capture has those packets, when saving.
      const mistake = range === null || range.range === '' ? null : parsePacketRange(range.range, Number.MAX_SAFE_INTEGER);
      this.check = typeof mistake === 'string' ? { ok: false, column: 0, reason: mistake }
        : range !== null && range.file === '' ? { ok: false, column: 0, reason: 'now a space and the file name' }
        : this.text.trim() === '' ? { ok: false, column: 0, reason: 'type a file name (.pcapng for pcapng; Tab: which packets)' } : ok;
    }
    else if (this.mode === 'export') this.check = this.text.trim() === '' ? { ok: false, column: 0, reason: 'type a file name for the payload (Tab: which side)' } : ok;
    else if (this.mode === 'keylog' || this.mode === 'copy') this.check = ok;
    else if (this.mode === 'decodeAs') {
      const error = parseDecodeAs(this.text).error;
      this.check = error === undefined ? ok : { ok: false, column: 0, reason: error.replace(/^-d: /, '').replace(/; valid protocols for layer type "[^"]*" are /, ': ') };
    }
    else this.check = /^\s*\d*\s*$/.test(this.text) ? { ok: true, column: 0, reason: '' } : { ok: false, column: 1, reason: 'a packet number is digits only' };
  }

  remember(expr: string): void {
    if (expr === '') return;
    const at = this.history.indexOf(expr);
    if (at >= 0) this.history.splice(at, 1);
    this.history.unshift(expr);
    if (this.history.length > MAX_HISTORY) this.history.pop();
  }

  private edited(): void {
    this.revalidate();
    this.onEdit?.();
  }

  /** Handle a key while the prompt is open. */
  key(ch: string | undefined, key: KeyEvent): void {
    const name = key.full;
    switch (name) {
      case 'escape':
        this.mode = 'idle';
        this.onCancel?.();
        return;
      case 'return':
        return; // blessed follows every 'return' with an 'enter' for the same key
      case 'enter': {
        const mode = this.mode;
        if (!this.check.ok) return; // the error stays on screen until it is fixed
        this.mode = 'idle';
        if (mode === 'filter') this.remember(this.text.trim());
        if (mode === 'find') this.lastFind = this.text;
        // a string is found as typed, spaces included
        const raw = mode === 'find' && FIND_KINDS[this.kind].startsWith('string');
        this.onSubmit?.(mode, raw ? this.text : this.text.trim(), KINDS[mode]?.[this.kind] ?? '');
        return;
      }
      case 'backspace':
        if (this.cursor > 0) {
          this.text = this.text.slice(0, this.cursor - 1) + this.text.slice(this.cursor);
          this.cursor--;
          this.edited();
        }
        return;
      case 'delete':
      case 'C-d':
        if (this.cursor < this.text.length) {
          this.text = this.text.slice(0, this.cursor) + this.text.slice(this.cursor + 1);
          this.edited();
        }
        return;
      case 'left': case 'C-b': this.cursor = Math.max(0, this.cursor - 1); return;
      case 'right': case 'C-f': this.cursor = Math.min(this.text.length, this.cursor + 1); return;
      case 'home': case 'C-a': this.cursor = 0; return;
      case 'end': case 'C-e': this.cursor = this.text.length; return;
      case 'C-u': this.text = ''; this.cursor = 0; this.edited(); return;
      case 'tab': {
        const kinds = KINDS[this.mode];
        if (kinds !== undefined) {
          this.kind = (this.kind + 1) % kinds.length;
          this.revalidate();
        }
        return;
      }
      case 'up':
      case 'down': {
        if ((this.mode !== 'filter' && this.mode !== 'ioLine') || this.history.length === 0) return;
        const pos = name === 'up' ? Math.min(this.history.length - 1, this.historyPos + 1) : this.historyPos - 1;
        this.historyPos = Math.max(-1, pos);
        this.text = this.historyPos >= 0 ? this.history[this.historyPos] : '';
        this.cursor = this.text.length;
        this.edited();
        return;
      }
    }
    if (ch !== undefined && ch.length === 1 && ch >= ' ' && ch !== '\x7f' && !key.ctrl && !key.meta) {
      this.text = this.text.slice(0, this.cursor) + ch + this.text.slice(this.cursor);
      this.cursor++;
      this.edited();
    }
  }

  private paint(c: blessed.Coords): void {
    const line = this.el.screen.lines[c.yi];
    const t = this.theme;
    fill(line, c.xi, c.xl, t.prompt);
    if (this.mode === 'idle') {
      let x = put(line, c.xi, c.xl, ' Display filter: ', t.prompt);
      const shown = this.applied === '' ? 'none \u2014 press / to filter' : sanitizeText(this.applied);
      x = put(line, x, c.xl, shown, this.applied === '' ? t.prompt : t.promptValid);
      if (this.progress >= 0 && this.progress < 1) put(line, x + 2, c.xl, `filtering\u2026 ${Math.floor(this.progress * 100)}%  (typing / cancels)`, t.prompt);
      return;
    }
    const kinds = KINDS[this.mode];
    const label = this.mode === 'filter' ? ' Filter: ' : this.mode === 'ioLine' ? ' I/O graph line, display filter: ' : this.mode === 'goto' ? ' Go to packet: ' : this.mode === 'keylog' ? ' Key log file: '
      : this.mode === 'decodeAs' ? ' Decode as: ' : this.mode === 'find' ? ` Find ${kinds![this.kind]}: ` : this.mode === 'export' ? ` Export the payload, ${kinds![this.kind]}, to: ` : this.mode === 'copy' ? ` Copy the ${kinds![this.kind]} to (a file; empty: the clipboard): ` : kinds![this.kind] === 'packet range' ? ' Save packet range and file (1-10,20- out.pcap): ' : ` Save ${kinds![this.kind]} as: `;
    let x = put(line, c.xi, c.xl, label, t.prompt);
    const inputAttr = this.check.ok ? t.promptValid : t.promptInvalid;
    const text = sanitizeText(this.text);
    const room = Math.max(10, Math.floor((c.xl - x) * 0.6));
    const start = Math.max(0, this.cursor - room + 1);
    const x0 = x;
    fill(line, x0, Math.min(c.xl, x0 + room), inputAttr);
    for (let k = start; k < text.length && x < x0 + room; k++) {
      const atError = !this.check.ok && this.check.column === k + 1;
      x = put(line, x, c.xl, text[k], atError ? t.promptErrorAt : inputAttr);
    }
    // the cursor: one reversed cell
    const cx = x0 + (this.cursor - start);
    if (cx < c.xl && line[cx]) put(line, cx, cx + 1, line[cx][1], attr(INVERSE));
    if (!this.check.ok) {
      const msg = ` \u2717 ${this.check.column > 0 ? `column ${this.check.column}: ` : ''}${sanitizeText(this.check.reason)}`;
      put(line, x0 + room + 1, c.xl, msg, t.promptInvalid);
    }
  }
}
