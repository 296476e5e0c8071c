// Time intervals for a series over a span: the finest 1-2-5 step (1, 2, 5, 10, 20, 50 … microseconds)
// that cuts the span into at most a given number of intervals, as a person reads an axis.

/** The smallest 1-2-5 step of microseconds (1 µs at least) that cuts `spanUs` into at most `most` intervals. */
export function oneTwoFiveStepUs(spanUs: number, most: number): number {
  for (let p = 1; ; p *= 10) {
    for (const m of [1, 2, 5]) if (m * p * most >= spanUs) return m * p;
  }
}
