import { movieContentRegions } from '@aigc-label/core';

/** M4A content regions: core's ISO-BMFF selection (`isobmff/media-and-tracks@1`), shared with MP4. */
export const m4aContentRegions = movieContentRegions('m4a');
