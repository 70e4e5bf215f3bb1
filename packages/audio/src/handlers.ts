/**
 * The audio format modules and what the facade's registry wires from this package, without the
 * rest of it (decoders, detectors, encoders load when a search or a label needs them): a
 * command that reads one file's metadata loads only this (`@aigc-label/audio/handlers`).
 */
import type { FormatHandler } from '@aigc-label/core';
import { flac } from './flac/index.js';
import { m4a } from './m4a/index.js';
import { mp3 } from './mp3/index.js';
import { ogg } from './ogg/index.js';
import { wav } from './wav/index.js';

/**
 * Audio handlers in sniffing order. MP3 comes before FLAC: a file whose ID3 tag is longer
 * than the sniffed head matches both, and the MP3 handler reads it as FLAC when "fLaC" follows.
 */
export const audioHandlers: readonly FormatHandler[] = [wav, ogg, mp3, flac, m4a];
export { audibleSearch } from './rhythm/capability.js';
export { audioEvidence } from './rules.js';
