/** A failure with a message meant for the user; nothing was changed. */
export class MountError extends Error {
  override name = 'MountError';
}

/** The message of a thrown value, whatever was thrown. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
