/**
 * The few complex-number operations the acoustics needs, nothing more.
 *
 * Single values are `Complex` objects ({re, im}) for clarity in notebooks and tests;
 * vectors and matrices of complex numbers are interleaved Float64Arrays
 * (re0, im0, re1, im1, …) so that the hot loops (snapshots, covariance matrices,
 * replicas) never allocate.
 */
export interface Complex {
  re: number;
  im: number;
}

/** re + i·im. */
export function complex(re: number, im = 0): Complex {
  return { re, im };
}

export function cadd(a: Complex, b: Complex): Complex {
  return { re: a.re + b.re, im: a.im + b.im };
}

export function csub(a: Complex, b: Complex): Complex {
  return { re: a.re - b.re, im: a.im - b.im };
}

/** (a.re + i a.im)(b.re + i b.im) = (a.re b.re − a.im b.im) + i(a.re b.im + a.im b.re). */
export function cmul(a: Complex, b: Complex): Complex {
  return { re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re };
}

/** a / b = a·conj(b)/|b|². */
export function cdiv(a: Complex, b: Complex): Complex {
  const d = b.re * b.re + b.im * b.im;
  return { re: (a.re * b.re + a.im * b.im) / d, im: (a.im * b.re - a.re * b.im) / d };
}

export function cconj(a: Complex): Complex {
  return { re: a.re, im: -a.im };
}

export function cscale(a: Complex, s: number): Complex {
  return { re: a.re * s, im: a.im * s };
}

/** |a|, computed with Math.hypot (no overflow for large parts). */
export function cabs(a: Complex): number {
  return Math.hypot(a.re, a.im);
}

/** arg a in (−π, π]. */
export function carg(a: Complex): number {
  return Math.atan2(a.im, a.re);
}

/** e^(iθ) = cos θ + i sin θ. */
export function expi(theta: number): Complex {
  return { re: Math.cos(theta), im: Math.sin(theta) };
}

/** e^a for complex a: e^(a.re)(cos a.im + i sin a.im). */
export function cexp(a: Complex): Complex {
  const m = Math.exp(a.re);
  return { re: m * Math.cos(a.im), im: m * Math.sin(a.im) };
}

/** Principal square root (branch cut on the negative real axis, Re √a ≥ 0). */
export function csqrt(a: Complex): Complex {
  const r = cabs(a);
  if (r === 0) return { re: 0, im: 0 };
  const re = Math.sqrt((r + a.re) / 2);
  const im = Math.sqrt(Math.max(0, (r - a.re) / 2));
  return { re, im: a.im < 0 ? -im : im };
}

/** Element k of an interleaved complex vector. */
export function cget(v: Float64Array, k: number): Complex {
  return { re: v[2 * k]!, im: v[2 * k + 1]! };
}

/** Euclidean norm √(Σ|v_k|²) of an interleaved complex vector of n elements. */
export function cnorm(v: Float64Array, n = v.length / 2): number {
  let s = 0;
  for (let k = 0; k < 2 * n; k++) s += v[k]! * v[k]!;
  return Math.sqrt(s);
}

/** Interleaved complex vector → array of Complex (for printing and plots). */
export function toComplexArray(v: Float64Array): Complex[] {
  const out: Complex[] = [];
  for (let k = 0; k < v.length / 2; k++) out.push({ re: v[2 * k]!, im: v[2 * k + 1]! });
  return out;
}
