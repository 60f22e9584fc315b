/*
 * Builds the JupyterLab application from the core extensions bundled here
 * (the generated `warren-lab-core` module) and the prebuilt extensions that
 * the server lists in page_config.
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { PluginRegistry } from '@lumino/coreutils';
import { core, mime, loadCoreStyles } from 'warren-lab-core';

function pluginsOf(mod) {
  const exported = mod && typeof mod === 'object' && 'default' in mod ? mod.default : mod;
  return Array.isArray(exported) ? exported : [exported];
}

/** Keeps the plugins not disabled in page_config, recording what was left out. */
function enabled(plugins, disabled, available, extension) {
  const kept = [];
  for (const plugin of plugins) {
    const off = PageConfig.Extension.isDisabled(plugin.id);
    available.push({
      id: plugin.id,
      extension,
      description: plugin.description,
      requires: plugin.requires || [],
      optional: plugin.optional || [],
      provides: plugin.provides || null,
      autoStart: plugin.autoStart,
      enabled: !off
    });
    if (off) disabled.push(plugin.id);
    else kept.push(plugin);
  }
  return kept;
}

async function fromContainer(name, key) {
  const factory = await window._JUPYTERLAB[name].get(key);
  return factory();
}

export async function main(federated) {
  const disabled = [];
  const available = [];
  const plugins = [];
  const mimeModules = [];

  await loadCoreStyles();
  for (const { name, module } of core) plugins.push(...enabled(pluginsOf(module), disabled, available, name));
  for (const { name, module } of mime) {
    const kept = enabled(pluginsOf(module), disabled, available, name);
    if (kept.length) mimeModules.push({ __esModule: true, default: kept });
  }

  for (const data of federated) {
    try {
      if (data.style) await fromContainer(data.name, data.style);
      if (data.extension) {
        const mod = await fromContainer(data.name, data.extension);
        plugins.push(...enabled(pluginsOf(mod), disabled, available, data.name));
      }
      if (data.mimeExtension) {
        const mod = await fromContainer(data.name, data.mimeExtension);
        const kept = enabled(pluginsOf(mod), disabled, available, data.name);
        if (kept.length) mimeModules.push({ __esModule: true, default: kept });
      }
    } catch (error) {
      console.error(`prebuilt extension ${data.name} failed`, error);
    }
  }

  const pluginRegistry = new PluginRegistry();
  pluginRegistry.registerPlugins(plugins);
  const { IServiceManager } = await import('@jupyterlab/services');
  const serviceManager = await pluginRegistry.resolveRequiredService(IServiceManager);
  const { JupyterLab } = await import('@jupyterlab/application');
  const lab = new JupyterLab({
    pluginRegistry,
    serviceManager,
    mimeExtensions: mimeModules,
    disabled: { matches: disabled, patterns: PageConfig.Extension.disabled },
    deferred: { matches: [], patterns: PageConfig.Extension.deferred },
    availablePlugins: available
  });
  if (String(PageConfig.getOption('exposeAppInBrowser')).toLowerCase() === 'true') {
    window.jupyterapp = lab;
  }
  await lab.start({ ignorePlugins: [], bubblingKeydown: true });
  await lab.restored;
}
