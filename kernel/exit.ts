/**
 * The kernel's own way out. Cells' `process.exit` is refused (see Runtime's
 * `guardExit`), since it would end the kernel and every variable with it;
 * the kernel's shutdown paths call this instead.
 */
let allowed = false;

export function exitKernel(code: number): never {
  allowed = true;
  return process.exit(code);
}

export function exitAllowed(): boolean {
  return allowed;
}
