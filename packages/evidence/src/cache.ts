import type { ByteSource } from '@aigc-label/core';
import { type FileStructure, readStructure } from './structure.js';

/**
 * One walk per file however many readers ask: the facade hands every reader the same source
 * object for one file, and a finished file's entry goes with its source.
 */
const walks = new WeakMap<ByteSource, Promise<FileStructure>>();

export function structureOf(source: ByteSource): Promise<FileStructure> {
  let walk = walks.get(source);
  if (walk === undefined) {
    walk = readStructure(source);
    walks.set(source, walk);
  }
  return walk;
}
