/**
 * Procedural, natural-looking test pictures for the image watermark bench: landscapes, skies,
 * foliage, stone, street scenes, portraits, night shots, graphics. Each is drawn at up to
 * 1024 px from fractal (1/f) noise and shapes, enlarged to its size by sharp (Lanczos) and
 * given sensor grain at full size, so every size has detail down to the pixel. Deterministic
 * per (kind, size, seed).
 */
import { createRequire } from 'node:module';

const requireFromImage = createRequire(new URL('../../packages/image/package.json', import.meta.url));
export const sharp = requireFromImage('sharp');

export const KINDS = ['landscape', 'sky', 'texture', 'foliage', 'marble', 'shapes', 'bokeh', 'city', 'portrait', 'night'];

/** xorshift32: a small deterministic generator for content (not the watermark's keyed one). */
export function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
const gaussian = (r) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const mix = (a, b, t) => a + (b - a) * t;
const clamp = (v) => Math.min(255, Math.max(0, v));

/** Fractal noise in about [-1, 1]: octaves of random grids enlarged with cubic interpolation, amplitude falling as 2^-beta per octave. */
async function fractal(w, h, r, beta = 1, octaves = 6, base = 4) {
  const out = new Float32Array(w * h);
  let amplitude = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const gw = Math.max(2, Math.round(base * 2 ** o * (w / Math.max(w, h))));
    const gh = Math.max(2, Math.round(base * 2 ** o * (h / Math.max(w, h))));
    const grid = Uint8Array.from({ length: gw * gh }, () => Math.floor(r() * 256));
    const up = await sharp(grid, { raw: { width: gw, height: gh, channels: 1 } })
      .resize(w, h, { kernel: 'cubic', fit: 'fill' })
      .raw()
      .toBuffer();
    for (let i = 0; i < out.length; i++) out[i] += (amplitude * (up[i] - 127.5)) / 127.5;
    total += amplitude;
    amplitude /= 2 ** beta;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** Draws a filled ellipse or rectangle with soft edges, blending `colour` by `opacity`. */
function blob(px, ww, wh, { cx, cy, rx, ry, rect, colour, opacity = 1, softness = 0.03, shade = 0 }) {
  for (let y = Math.max(0, Math.floor(cy - ry - 1)); y < Math.min(wh, cy + ry + 1); y++) {
    for (let x = Math.max(0, Math.floor(cx - rx - 1)); x < Math.min(ww, cx + rx + 1); x++) {
      const d = rect ? Math.max(Math.abs(x - cx) / rx, Math.abs(y - cy) / ry) : Math.hypot((x - cx) / rx, (y - cy) / ry);
      const a = (d < 1 - softness ? 1 : d < 1 ? (1 - d) / softness : 0) * opacity;
      if (a <= 0) continue;
      const i = 3 * (y * ww + x);
      const light = 1 - shade * d;
      for (let k = 0; k < 3; k++) px[i + k] = mix(px[i + k], colour[k] * light, a);
    }
  }
}

/** One picture as raw RGB: `{ data, width, height, channels: 3 }`. */
export async function naturalImage(width, height, kind, seed) {
  const r = random(seed * 7919 + kind.length * 104729 + 13);
  const scale = Math.min(1, 1024 / Math.max(width, height));
  const ww = Math.max(16, Math.round(width * scale));
  const wh = Math.max(16, Math.round(height * scale));
  const n = ww * wh;
  const px = new Float32Array(n * 3);
  const set = (i, c) => {
    px[3 * i] = c[0];
    px[3 * i + 1] = c[1];
    px[3 * i + 2] = c[2];
  };
  const hue = (lo = 0, hi = 255) => [lo + r() * (hi - lo), lo + r() * (hi - lo), lo + r() * (hi - lo)];
  let grain = 1.5 + 2.5 * r();
  let blur = 0;

  if (kind === 'landscape' || kind === 'sky') {
    const noise = await fractal(ww, wh, r, 1.1);
    const ridge = await fractal(ww, 1, r, 1.2, 5, 3);
    const sky0 = [60 + 60 * r(), 110 + 60 * r(), 200 + 50 * r()];
    const sky1 = [215 + 20 * r(), 225 + 20 * r(), 235 + 15 * r()];
    const ground0 = [40 + 60 * r(), 90 + 60 * r(), 30 + 30 * r()];
    const ground1 = [120 + 60 * r(), 100 + 40 * r(), 60 + 30 * r()];
    const horizon = kind === 'sky' ? 0.8 + 0.1 * r() : 0.4 + 0.2 * r();
    for (let y = 0; y < wh; y++) {
      for (let x = 0; x < ww; x++) {
        const i = y * ww + x;
        const t = y / wh;
        const line = horizon + 0.12 * ridge[x];
        if (t < line)
          set(
            i,
            [0, 1, 2].map((k) => mix(sky0[k], sky1[k], t / line) + (kind === 'sky' ? 6 : 12) * noise[i]),
          );
        else {
          const c = 0.5 + 0.5 * noise[i];
          set(
            i,
            [0, 1, 2].map((k) => mix(ground0[k], ground1[k], c) * (0.7 + (0.3 * (t - line)) / (1 - line)) + 30 * noise[i]),
          );
        }
      }
    }
    if (kind === 'sky') grain = 0.8 + r();
    blur = 0.3 + r();
  } else if (kind === 'texture' || kind === 'foliage') {
    const a = await fractal(ww, wh, r, kind === 'foliage' ? 0.6 : 1.0, 7, kind === 'foliage' ? 16 : 4);
    const b = await fractal(ww, wh, r, 1.0);
    const c0 = kind === 'foliage' ? [20 + 40 * r(), 60 + 60 * r(), 10 + 30 * r()] : hue();
    const c1 = kind === 'foliage' ? [120 + 60 * r(), 160 + 60 * r(), 60 + 40 * r()] : hue();
    for (let i = 0; i < n; i++) {
      const t = 0.5 + 0.6 * a[i];
      set(
        i,
        [0, 1, 2].map((k) => mix(c0[k], c1[k], t) + 40 * b[i]),
      );
    }
  } else if (kind === 'marble') {
    const noise = await fractal(ww, wh, r, 1.0);
    const c0 = hue(40, 200);
    const c1 = [230, 225, 215];
    const f = 3 + 6 * r();
    for (let y = 0; y < wh; y++) {
      for (let x = 0; x < ww; x++) {
        const i = y * ww + x;
        const t = 0.5 + 0.5 * Math.sin((x / ww) * f * Math.PI + 6 * noise[i]);
        set(
          i,
          [0, 1, 2].map((k) => mix(c0[k], c1[k], t)),
        );
      }
    }
    grain = 1 + r();
  } else if (kind === 'night') {
    const noise = await fractal(ww, wh, r, 1.2);
    const c0 = [5 + 15 * r(), 8 + 15 * r(), 20 + 30 * r()];
    for (let i = 0; i < n; i++)
      set(
        i,
        [0, 1, 2].map((k) => c0[k] * (1 + 0.6 * noise[i])),
      );
    for (let s = 0; s < 40; s++) {
      const rad = (0.005 + 0.03 * r()) * Math.min(ww, wh);
      blob(px, ww, wh, {
        cx: r() * ww,
        cy: (0.3 + 0.7 * r()) * wh,
        rx: rad,
        ry: rad,
        colour: [200 + 55 * r(), 150 + 80 * r(), 60 + 80 * r()],
        opacity: 0.9,
        softness: 0.8,
      });
    }
    grain = 2 + 2 * r();
    blur = 0.5;
  } else {
    // shapes, bokeh, city, portrait: a graded backdrop with things on it
    const c0 = hue();
    const c1 = hue();
    const noise = await fractal(ww, wh, r, 1.2);
    for (let y = 0; y < wh; y++)
      for (let x = 0; x < ww; x++)
        set(
          y * ww + x,
          [0, 1, 2].map((k) => mix(c0[k], c1[k], y / wh) + 10 * noise[y * ww + x]),
        );
    const short = Math.min(ww, wh);
    if (kind === 'city') {
      for (let b = 0; b < 14; b++) {
        const bw = (0.06 + 0.12 * r()) * ww;
        const bh = (0.3 + 0.6 * r()) * wh;
        const left = r() * ww;
        const wall = hue(60, 200);
        blob(px, ww, wh, { cx: left + bw / 2, cy: wh - bh / 2, rx: bw / 2, ry: bh / 2, rect: true, colour: wall, softness: 0.005 });
        // windows on the building's own grid
        const sx = (0.012 + 0.02 * r()) * short;
        const sy = (0.02 + 0.025 * r()) * short;
        for (let wy = wh - bh + sy; wy < wh - sy; wy += sy) {
          for (let wx = left + sx; wx < left + bw - sx; wx += sx) {
            const lit = r() < 0.3;
            blob(px, ww, wh, {
              cx: wx,
              cy: wy,
              rx: sx * 0.3,
              ry: sy * 0.3,
              rect: true,
              colour: lit ? [230, 210, 150] : wall.map((v) => v * 0.45),
              softness: 0.1,
            });
          }
        }
      }
    } else if (kind === 'portrait') {
      blur = 0;
      for (let s = 0; s < 25; s++) {
        const rad = (0.05 + 0.12 * r()) * short;
        blob(px, ww, wh, { cx: r() * ww, cy: r() * wh, rx: rad, ry: rad, colour: hue(), opacity: 0.3, softness: 0.6 });
      }
      const skin = [200 + 40 * r(), 150 + 40 * r(), 120 + 40 * r()];
      blob(px, ww, wh, { cx: ww / 2, cy: wh * 0.95, rx: 0.4 * ww, ry: 0.35 * wh, colour: hue(20, 120), softness: 0.05, shade: 0.3 });
      blob(px, ww, wh, { cx: ww / 2, cy: wh * 0.45, rx: 0.18 * short, ry: 0.24 * short, colour: skin, softness: 0.06, shade: 0.35 });
      grain = 1 + r();
    } else {
      const count = kind === 'bokeh' ? 40 : 25;
      for (let s = 0; s < count; s++) {
        const rad = (0.03 + 0.15 * r()) * short;
        const rect = kind === 'shapes' && r() < 0.5;
        blob(px, ww, wh, {
          cx: r() * ww,
          cy: r() * wh,
          rx: rad * (0.5 + r()),
          ry: rad * (0.5 + r()),
          rect,
          colour: hue(),
          opacity: kind === 'bokeh' ? 0.35 : 1,
          softness: kind === 'bokeh' ? 0.5 : 0.02,
          shade: rect ? 0 : 0.3,
        });
      }
      if (kind === 'bokeh') blur = 1 + r();
    }
  }

  let image = sharp(Uint8Array.from(px, clamp), { raw: { width: ww, height: wh, channels: 3 } });
  if (blur > 0) image = image.blur(blur);
  const data = new Uint8Array(await image.resize(width, height, { kernel: 'lanczos3', fit: 'fill' }).raw().toBuffer());
  for (let i = 0; i < data.length; i += 3) {
    const g = grain * gaussian(r);
    for (let k = 0; k < 3; k++) data[i + k] = clamp(Math.round(data[i + k] + g + 0.5 * gaussian(r)));
  }
  return { data, width, height, channels: 3 };
}
