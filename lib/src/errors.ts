/**
 * Errors thrown by the library. Every message says what is wrong and where
 * (the function and, when it helps, the layer or argument), so a student can
 * fix a notebook cell without reading the library source.
 */
export class CourseKitError extends Error {
  constructor(where: string, what: string) {
    super(`${where}: ${what}`);
    this.name = 'CourseKitError';
  }
}

/** Two arrays or matrices whose shapes do not fit together. */
export class ShapeError extends CourseKitError {
  constructor(where: string, what: string) {
    super(where, what);
    this.name = 'ShapeError';
  }
}

/** Data that cannot be used: NaN, infinities, empty batches, bad labels. */
export class DataError extends CourseKitError {
  constructor(where: string, what: string) {
    super(where, what);
    this.name = 'DataError';
  }
}

/** A configuration value that is not allowed (unknown unit name, bad option). */
export class ConfigError extends CourseKitError {
  constructor(where: string, what: string) {
    super(where, what);
    this.name = 'ConfigError';
  }
}

/** Throws a DataError naming the first index whose value is NaN or infinite. */
export function assertFinite(where: string, name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      throw new DataError(where, `${name}[${i}] is ${v}; every value must be a finite number`);
    }
  }
}
