// The Time column as tshark's -t and -u shape it: relative to the first packet (the default),
// absolute in local time or UTC (with a date, or a day of the year), seconds since the epoch, or
// the delta from the previous captured or displayed packet; -u hms writes seconds as hours,
// minutes and seconds. One setting per run, as tshark's is; the summary line and _ws.col.Time read it.

import { Dissection } from '../decode/dissection';
import { shownFrameNumber } from '../fields/frame-numbers';

export type TimeType = 'r' | 'a' | 'ad' | 'adoy' | 'd' | 'dd' | 'e' | 'u' | 'ud' | 'udoy';
export const TIME_TYPES: readonly TimeType[] = ['a', 'ad', 'adoy', 'd', 'dd', 'e', 'r', 'u', 'ud', 'udoy'];

export interface TimeFormat {
  type: TimeType;
  /** -u hms: relative and delta times as 1h 2m 3.000000s. */
  hms: boolean;
}

const format: TimeFormat = { type: 'r', hms: false };

export function timeType(): TimeType {
  return format.type;
}

export function setTimeFormat(type: TimeType, hms: boolean): void {
  format.type = type;
  format.hms = hms;
}

/** Whether the column is tshark's default (relative seconds), which the summary writes by its fast path. */
export function defaultTimeFormat(): boolean {
  return format.type === 'r' && !format.hms;
}

// Decimal places of the capture's timestamps (9 for nanosecond files), for _ws.col.Time.
let captureDigits = 6;
export function setTimeDigits(digits: number): void {
  captureDigits = digits;
}
export function timeDigits(): number {
  return captureDigits;
}

// The time of the last displayed packet, for -t dd.
let shownSec = 0, shownNsec = 0, shownAny = false;

/** Note that `d` was displayed: the next packet's -t dd delta counts from it. */
export function timeShown(d: Dissection): void {
  // tshark finds frame 1's time at its reference, the first frame read, even when -2 -R shows
  // another frame as 1: the next delta counts from there.
  const first = shownFrameNumber(d.number) === 1;
  shownSec = first ? d.firstTsSec : d.tsSec;
  shownNsec = first ? d.firstTsNsec : d.tsNsec;
  shownAny = true;
}

/** Whether the packets printed are noted (timeShown): the command line's output does, the UI does not. */
let noting = false;

/** The command line notes each packet it prints from now on. */
export function noteShownTimes(): void {
  noting = true;
  shownAny = false;
}

/**
 * Seconds and nanoseconds from the last displayed packet to `d` (frame.time_delta_displayed): 0 for
 * the first one printed, as tshark; where packets are not noted (the UI), from the previous captured one.
 */
export function sinceShown(d: Dissection): [number, number] {
  if (shownAny) return [d.tsSec - shownSec, d.tsNsec - shownNsec];
  return noting ? [0, 0] : [d.tsSec - d.prevTsSec, d.tsNsec - d.prevTsNsec];
}

/** Forget the displayed packets (a new capture starts). */
export function resetShownTime(): void {
  shownAny = false;
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

function fraction(nsec: number, digits: number): string {
  return String(Math.floor(nsec / 10 ** (9 - digits))).padStart(digits, '0');
}

/** A span of time as seconds (or h/m/s with -u hms), sign first, with `digits` decimals. */
function span(sec: number, nsec: number, digits: number): string {
  let neg = false;
  if (nsec < 0) { sec -= 1; nsec += 1e9; }
  if (sec < 0) {
    // negative: write the magnitude with a minus sign
    neg = true;
    if (nsec > 0) { sec += 1; nsec = 1e9 - nsec; }
    sec = -sec;
  }
  const frac = digits > 0 ? `.${fraction(nsec, digits)}` : '';
  const sign = neg ? '-' : '';
  if (!format.hms) return `${sign}${sec}${frac}`;
  if (sec >= 3600) return `${sign}${Math.floor(sec / 3600)}h ${String(Math.floor(sec / 60) % 60).padStart(2)}m ${String(sec % 60).padStart(2)}${frac}s`;
  if (sec >= 60) return `${sign}${Math.floor(sec / 60)}m ${String(sec % 60).padStart(2)}${frac}s`;
  return `${sign}${sec}${frac}s`;
}

function dayOfYear(t: Date, utc: boolean): number {
  const y = utc ? t.getUTCFullYear() : t.getFullYear();
  const start = utc ? Date.UTC(y, 0, 1) : new Date(y, 0, 1).getTime();
  const now = utc ? Date.UTC(y, t.getUTCMonth(), t.getUTCDate()) : new Date(y, t.getMonth(), t.getDate()).getTime();
  return Math.round((now - start) / 86400000) + 1;
}

/** The time of day of `tsSec`+`tsNsec` (local or UTC), with a date or a day of the year before it when asked. */
export function absoluteTime(tsSec: number, tsNsec: number, digits: number, utc: boolean, date: '' | 'ymd' | 'doy'): string {
  const t = new Date(tsSec * 1000);
  if (Number.isNaN(t.getTime())) return '';
  const h = utc ? t.getUTCHours() : t.getHours();
  const m = utc ? t.getUTCMinutes() : t.getMinutes();
  const s = utc ? t.getUTCSeconds() : t.getSeconds();
  let out = `${pad2(h)}:${pad2(m)}:${pad2(s)}${digits > 0 ? `.${fraction(tsNsec, digits)}` : ''}`;
  const y = utc ? t.getUTCFullYear() : t.getFullYear();
  if (date === 'ymd') out = `${y}-${pad2((utc ? t.getUTCMonth() : t.getMonth()) + 1)}-${pad2(utc ? t.getUTCDate() : t.getDate())} ${out}`;
  else if (date === 'doy') out = `${y}/${String(dayOfYear(t, utc)).padStart(3, '0')} ${out}`;
  return out;
}

/** The Time column's text for `d`, with `digits` decimals (6 for microsecond captures, 9 for nanosecond). */
export function timeColumn(d: Dissection, digits: number): string {
  switch (format.type) {
    case 'r': return span(d.tsSec - d.firstTsSec, d.tsNsec - d.firstTsNsec, digits);
    case 'd': return span(d.tsSec - d.prevTsSec, d.tsNsec - d.prevTsNsec, digits);
    case 'dd': return shownAny ? span(d.tsSec - shownSec, d.tsNsec - shownNsec, digits) : span(0, 0, digits);
    case 'e': return `${d.tsSec}${digits > 0 ? `.${fraction(d.tsNsec, digits)}` : ''}`;
    case 'a': return absoluteTime(d.tsSec, d.tsNsec, digits, false, '');
    case 'ad': return absoluteTime(d.tsSec, d.tsNsec, digits, false, 'ymd');
    case 'adoy': return absoluteTime(d.tsSec, d.tsNsec, digits, false, 'doy');
    case 'u': return absoluteTime(d.tsSec, d.tsNsec, digits, true, '');
    case 'ud': return absoluteTime(d.tsSec, d.tsNsec, digits, true, 'ymd');
    case 'udoy': return absoluteTime(d.tsSec, d.tsNsec, digits, true, 'doy');
  }
}
