#!/usr/bin/env node
/**
 * Generates small deterministic sample media into samples/: images with sharp,
 * audio and video with the ffmpeg binary that comes from npm, documents by hand.
 * Same bytes on every run (bit-exact ffmpeg flags, fixed content), so outputs can
 * be compared across machines.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import sharp from 'sharp';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'samples');
mkdirSync(dir, { recursive: true });
const ffmpeg = require('@ffmpeg-installer/ffmpeg').path;
const exact = ['-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact', '-map_metadata', '-1'];

function run(args) {
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

// A gradient with a few shapes, so that images are not trivially compressible.
const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1d4e89"/><stop offset="1" stop-color="#f7b267"/></linearGradient></defs>
  <rect width="320" height="240" fill="url(#g)"/><circle cx="230" cy="90" r="50" fill="#f25c54"/><rect x="40" y="130" width="120" height="70" fill="#70a288"/></svg>`);
const base = () => sharp(svg);

const images = {
  'sample.png': base().png(),
  'sample.jpg': base().jpeg({ quality: 85 }),
  'sample.webp': base().webp({ quality: 80 }),
  'sample.gif': base().gif(),
  'sample.tif': base().tiff(),
  'sample.avif': base().avif({ quality: 50 }),
};
for (const [name, pipeline] of Object.entries(images)) await pipeline.toFile(join(dir, name));

const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=2'];
run([...tone, ...exact, join(dir, 'sample.wav')]);
run([...tone, ...exact, '-c:a', 'libmp3lame', '-b:a', '128k', join(dir, 'sample.mp3')]);
run([...tone, ...exact, '-c:a', 'flac', join(dir, 'sample.flac')]);
run([...tone, ...exact, '-c:a', 'libvorbis', '-q:a', '3', join(dir, 'sample.ogg')]);
run([...tone, ...exact, '-ar', '48000', '-c:a', 'libopus', '-b:a', '64k', join(dir, 'sample.opus')]);
run([...tone, ...exact, '-c:a', 'aac', '-b:a', '96k', join(dir, 'sample.m4a')]);

const clip = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'];
const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-threads', '1'];
run([...clip, ...exact, ...h264, '-c:a', 'aac', '-shortest', '-movflags', '+faststart', join(dir, 'sample.mp4')]);
run([...clip, ...exact, ...h264, '-c:a', 'aac', '-shortest', join(dir, 'sample.mov')]);
run([...clip, ...exact, ...h264, '-c:a', 'aac', '-shortest', join(dir, 'sample.mkv')]);
run([...clip, ...exact, '-c:v', 'libvpx', '-b:v', '200k', '-threads', '1', '-c:a', 'libvorbis', '-shortest', join(dir, 'sample.webm')]);
run([...clip, ...exact, '-c:v', 'mpeg4', '-q:v', '5', '-c:a', 'libmp3lame', '-shortest', join(dir, 'sample.avi')]);
run([...clip, ...exact, '-c:v', 'flv', '-c:a', 'libmp3lame', '-ar', '44100', '-shortest', join(dir, 'sample.flv')]);

const story = '# 城市夜景\n\n这是一段由模型生成的示例文字，用来演示文本标识。\n\nA short generated paragraph for the demo.\n';
writeFileSync(join(dir, 'sample.md'), `---\ntitle: 示例\n---\n\n${story}`);
writeFileSync(join(dir, 'sample.txt'), story.replace(/^# /, ''));
writeFileSync(
  join(dir, 'sample.html'),
  '<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n<title>示例</title>\n</head>\n<body>\n<p>这是一段由模型生成的示例文字。</p>\n</body>\n</html>\n',
);
writeFileSync(join(dir, 'sample.pdf'), minimalPdf('Generated sample'));
writeFileSync(join(dir, 'sample.docx'), minimalDocx('这是一段由模型生成的示例文字。'));
console.log(`samples written to ${dir}`);

/** A one-page PDF with a classic xref table; offsets computed, not guessed. */
function minimalPdf(text) {
  const stream = `BT /F1 18 Tf 40 100 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    '<< /Title (Sample) /Producer (aigc-label samples) >>',
  ];
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) body += `${String(o).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A minimal WordprocessingML package, deflated, with fixed timestamps. */
function minimalDocx(text) {
  const files = {
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    '_rels/.rels':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    'word/document.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:body></w:document>`,
  };
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content, 'utf8');
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const header = (central) => {
      const b = Buffer.alloc(central ? 46 : 30);
      let o = 0;
      b.writeUInt32LE(central ? 0x02014b50 : 0x04034b50, o);
      o += 4;
      if (central) {
        b.writeUInt16LE(20, o);
        o += 2;
      }
      b.writeUInt16LE(20, o); // version needed
      b.writeUInt16LE(0x0800, o + 2); // UTF-8 names
      b.writeUInt16LE(8, o + 4); // deflate
      b.writeUInt16LE(0, o + 6); // time
      b.writeUInt16LE(0x21, o + 8); // 1980-01-01
      b.writeUInt32LE(crc32(data), o + 10);
      b.writeUInt32LE(packed.length, o + 14);
      b.writeUInt32LE(data.length, o + 18);
      b.writeUInt16LE(nameBytes.length, o + 22);
      if (central) b.writeUInt32LE(offset, 42);
      return b;
    };
    centrals.push(Buffer.concat([header(true), nameBytes]));
    const local = Buffer.concat([header(false), nameBytes, packed]);
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length, 8);
  end.writeUInt16LE(centrals.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, central, end]);
}
