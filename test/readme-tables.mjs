/**
 * The README's generated tables: supported formats (from the registry's format modules) and
 * finding rules and evidence kinds (from every package's tables and every module's own rules).
 * `node scripts/readme-tables.mjs` prints them after `pnpm build`; test/readme.test.ts checks
 * the README agrees.
 */
const escapeCell = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');

export function formatsTable(modules) {
  const explicitOf = (m) => (m.explicit && !('unsupported' in m.explicit) ? m.explicit.summary : '—');
  return [
    '| Format | Kind | Extensions | Implicit label carrier | Explicit label |',
    '| --- | --- | --- | --- | --- |',
    ...modules.map(
      (m) =>
        `| ${m.name} (\`${m.id}\`) | ${m.kind} | ${m.extensions.map((e) => `.${e}`).join(' ')} | ${escapeCell(m.carrier)} | ${escapeCell(explicitOf(m))} |`,
    ),
  ].join('\n');
}

/** Every rule id with its meaning, sorted: the packages' tables plus each format module's own. */
export function allRules(packages, modules) {
  const rules = new Map();
  for (const table of [
    packages.core.coreRuleMeanings,
    packages.text.textRules,
    packages.image.imageRules,
    packages.audio.audioRules,
    packages.video.videoRules,
    packages.evidence.evidenceRules,
    ...modules.map((m) => m.rules ?? {}),
  ]) {
    for (const [id, meaning] of Object.entries(table)) rules.set(id, meaning);
  }
  return [...rules].sort(([a], [b]) => (a < b ? -1 : 1));
}

export function allEvidenceKinds(packages) {
  const kinds = new Map(Object.entries(packages.core.coreEvidenceKinds));
  for (const table of [
    packages.text.textEvidence,
    packages.image.imageEvidence,
    packages.audio.audioEvidence,
    packages.video.videoEvidence,
    packages.evidence.evidenceKinds,
  ]) {
    for (const [id, meaning] of Object.entries(table)) kinds.set(id, meaning);
  }
  return [...kinds].sort(([a], [b]) => (a < b ? -1 : 1));
}

export function idTable(heading, entries) {
  return [`| ${heading} | Meaning |`, '| --- | --- |', ...entries.map(([id, meaning]) => `| \`${id}\` | ${escapeCell(meaning)} |`)].join(
    '\n',
  );
}
