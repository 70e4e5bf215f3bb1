/** The part of piexifjs 1.0.6 we use; it ships no types. EXIF data travels as binary strings. */
declare module 'piexifjs' {
  export type IfdDict = Record<number, unknown>;
  export interface ExifDict {
    '0th': IfdDict;
    Exif: IfdDict;
    GPS: IfdDict;
    Interop: IfdDict;
    '1st': IfdDict;
    thumbnail: string | null;
  }
  const piexif: {
    load(data: string): ExifDict;
    dump(dict: Partial<ExifDict>): string;
    TAGS: Record<string, Record<number, { name: string; type: string }>>;
  };
  export default piexif;
}
