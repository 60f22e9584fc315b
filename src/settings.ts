import type { ISettingRegistry } from '@jupyterlab/settingregistry';

/**
 * A plugin's settings, typed by its schema: the types and defaults in
 * contract/settings.ts are generated from schema/*.json. The registry has
 * validated the composite; the schema's defaults stand for anything unset.
 */
export function settingsOf<T extends object>(
  loaded: ISettingRegistry.ISettings,
  defaults: Required<T>
): Required<T> {
  return { ...defaults, ...(loaded.composite as unknown as Partial<T>) };
}
