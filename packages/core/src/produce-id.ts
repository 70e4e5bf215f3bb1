/**
 * A content id that is unique without coordination between machines: a UUIDv7
 * (RFC 9562), 48 bits of milliseconds then 74 random bits. It sorts by time and
 * uses only characters Annex E j) allows.
 */
// Random bytes are drawn 4 KiB at a time: one call to the system's generator per 256 ids
// instead of one per id (a batch labels thousands of files a second).
const randomPool = new Uint8Array(4096);
let randomUsed = randomPool.length;

export function newProduceId(now: number = Date.now()): string {
  if (randomUsed === randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool);
    randomUsed = 0;
  }
  const bytes = randomPool.slice(randomUsed, randomUsed + 16);
  randomUsed += 16;
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
