/**
 * Errors worth retrying: the storage or the machine, not the file. A file that is simply bad
 * (malformed, unsupported, missing) gives the same answer every time, so it completes with an
 * error result, as in the batch CLI. Node's system error codes appear in the facade's messages.
 */
const TRANSIENT_CODES = /\b(EIO|EAGAIN|EBUSY|EMFILE|ENFILE|ENOMEM|ENOSPC|EDQUOT|ESTALE|ETIMEDOUT|ECONNRESET|EPIPE)\b/;

export function isTransient(error: { readonly name: string; readonly message: string }): boolean {
  return error.name === 'TransientError' || TRANSIENT_CODES.test(error.message) || /worker thread exited/.test(error.message);
}
