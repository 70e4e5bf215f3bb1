/** The README's supported-formats table, rendered from registry handlers. */
const EXPLICIT = {
  image: 'visible text label (drawn, ≥ 5% text height)',
  video: 'visible text label (≥ 2 s, smart render)',
  audio: 'rhythm ·−·· (voice prompt in the API)',
  text: 'text prompt',
};

export function formatsTable(handlers, explicitSupport) {
  const escapeCell = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
  const rows = [
    '| Format | Kind | Extensions | Implicit label carrier | Explicit label |',
    '| --- | --- | --- | --- | --- |',
    ...handlers.map(
      (h) =>
        `| ${h.name} (\`${h.id}\`) | ${h.kind} | ${h.extensions.map((e) => `.${e}`).join(' ')} | ${escapeCell(h.carrier)} | ${explicitSupport(h) === 'none' ? '—' : EXPLICIT[h.kind]} |`,
    ),
  ];
  return rows.join('\n');
}
