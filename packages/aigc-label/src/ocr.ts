import { dispose } from '@aigc-label/image/handlers';

/** Stops the OCR workers that `ocr: true` starts; call it before exiting (they keep Node running). */
export const disposeOcr = (): Promise<void> => dispose();
