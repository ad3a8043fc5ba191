/**
 * Splitting a question's points among its tests. An equal split of 10 over 3
 * tests is 3.333…, which shows as 3.33 three times and sums to 9.99 on a
 * feedback page. Instead the points are split in hundredths: every share has
 * at most 2 decimals and the shares sum exactly to the question's points
 * (10 → 3.34, 3.33, 3.33; the first tests get the extra hundredths).
 */
export function splitPoints(total: number, n: number): number[] {
  if (!(n >= 1) || !Number.isInteger(n)) throw new Error(`splitPoints: n must be a positive integer, got ${n}`);
  const cents = Math.round(total * 100);
  if (Math.abs(cents - total * 100) > 1e-6) throw new Error(`splitPoints: ${total} points has more than 2 decimals`);
  const base = Math.floor(cents / n);
  const extra = cents - base * n;
  return Array.from({ length: n }, (_, i) => (base + (i < extra ? 1 : 0)) / 100);
}
