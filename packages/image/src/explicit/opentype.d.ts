// Minimal typings for the part of opentype.js 2.x this package uses; the package ships none
// and @types/opentype.js describes 1.x.
declare module 'opentype.js' {
  export interface BoundingBox {
    x1: number;
    y1: number;
    x2: number;
    y2: number;
  }
  export type PathCommand =
    | { type: 'M' | 'L'; x: number; y: number }
    | { type: 'Q'; x1: number; y1: number; x: number; y: number }
    | { type: 'C'; x1: number; y1: number; x2: number; y2: number; x: number; y: number }
    | { type: 'Z' };
  export interface Path {
    readonly commands: readonly PathCommand[];
    getBoundingBox(): BoundingBox;
    /** Prints NaN for some coordinates in 2.0 (see layout.ts); tests use it to draw foreign captions. */
    toPathData(decimalPlaces?: number): string;
  }
  export interface Font {
    readonly unitsPerEm: number;
    getPath(text: string, x: number, y: number, fontSize: number): Path;
    hasChar(char: string): boolean;
  }
  /** `lowMemory`: glyph outlines and metrics are read when a glyph is first used, not all up front. */
  export function parse(buffer: ArrayBuffer, options?: { readonly lowMemory?: boolean }): Font;
}
