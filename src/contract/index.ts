/**
 * What the kernel and the JupyterLab extension agree on: comm target names,
 * payload shapes and mime types. This module imports nothing.
 */

export type JSONPrimitive = string | number | boolean | null;
export type JSONValue = JSONPrimitive | JSONObject | JSONValue[];
export interface JSONObject {
  [key: string]: JSONValue | undefined;
}

/** A plain object (not null, not an array): the first narrowing of every decoded payload. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain object taken as JSON: decoded from JSON text, its values are JSON too. */
export function isJSONObject(value: unknown): value is JSONObject {
  return isRecord(value);
}

/** The kernelspecs warren installs (kernel/cli/install.ts), TypeScript's and JavaScript's. */
export const KernelNames = ['warren', 'warren-js'] as const;

/** Whether a kernel (or a notebook's kernelspec) of this name is one of warren's. */
export function isWarrenKernelName(name: unknown): boolean {
  return typeof name === 'string' && (KernelNames as readonly string[]).includes(name);
}

/** Comm target names the kernel registers. */
export const CommTargets = {
  gpu: 'warren.gpu',
  mounts: 'warren.mounts',
  runs: 'warren.runs',
  journal: 'warren.journal',
  terminal: 'warren.terminal'
} as const;

/**
 * The services kernel's session: the panels start it at this path, and a
 * kernel whose session sits there (jupyter_server passes the session's path
 * as JPY_SESSION_NAME, joined with its name) serves comms only, so it loads
 * no TypeScript checker until a cell asks for one.
 */
export const ServicesSession = {
  folder: '.warren',
  path: '.warren/services'
} as const;

export const MimeTypes = {
  sixel: 'image/x-sixel'
} as const;
