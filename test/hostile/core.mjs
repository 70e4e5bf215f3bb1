/** Hostile XMP (core's packet scanner, through the PNG carrier): many properties, unclosed, as attributes. */
import { pngWithXmp, xmpPacket } from './build.mjs';

const sizes = [1_000, 10_000, 100_000];

export const cases = [
  {
    id: 'xmp/many-elements',
    format: 'png',
    filename: 'x.png',
    sizes,
    build: (n) => pngWithXmp(xmpPacket('<TC260:AIGC>{}</TC260:AIGC>'.repeat(n))),
  },
  {
    id: 'xmp/unclosed-elements',
    format: 'png',
    filename: 'x.png',
    sizes,
    build: (n) => pngWithXmp(xmpPacket('<TC260:AIGC>x'.repeat(n))),
  },
  {
    id: 'xmp/self-closed-elements',
    format: 'png',
    filename: 'x.png',
    sizes,
    build: (n) => pngWithXmp(xmpPacket('<TC260:AIGC/>'.repeat(n))),
  },
  {
    id: 'xmp/attributes',
    format: 'png',
    filename: 'x.png',
    sizes,
    build: (n) => pngWithXmp(xmpPacket('<rdf:Description TC260:AIGC="x"/>'.repeat(n))),
  },
  {
    id: 'xmp/unclosed-start-tags',
    format: 'png',
    filename: 'x.png',
    sizes,
    build: (n) => pngWithXmp(xmpPacket('<TC260:AIGC '.repeat(n))),
  },
];
