/** The README's supported-formats table, rendered from registry handlers. */
export function formatsTable(handlers) {
  const rows = [
    '| Format | Kind | Extensions | Implicit label carrier |',
    '| --- | --- | --- | --- |',
    ...handlers.map((h) => `| ${h.name} (\`${h.id}\`) | ${h.kind} | ${h.extensions.map((e) => `.${e}`).join(' ')} | ${h.carrier} |`),
  ];
  return rows.join('\n');
}
