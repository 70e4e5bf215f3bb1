import { movieContentRegions } from '@aigc-label/core';

/** MP4/MOV content regions: core's ISO-BMFF selection (`isobmff/media-and-tracks@1`), shared with M4A. */
export const mp4ContentRegions = movieContentRegions('mp4');
