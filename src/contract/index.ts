/**
 * What the kernel and the JupyterLab extension agree on: comm target names,
 * payload shapes and mime types. This module imports nothing.
 */

export type JSONPrimitive = string | number | boolean | null;
export type JSONValue = JSONPrimitive | JSONObject | JSONValue[];
export interface JSONObject {
  [key: string]: JSONValue | undefined;
}

/** Comm target names the kernel registers. */
export const CommTargets = {
  gpu: 'warren.gpu',
  mounts: 'warren.mounts',
  runs: 'warren.runs',
  journal: 'warren.journal'
} as const;

export const MimeTypes = {
  sixel: 'image/x-sixel'
} as const;
