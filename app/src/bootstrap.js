/*
 * The page's first module. It must not import a shared package: the share
 * scope is only filled once the prebuilt extensions' remote entries have been
 * loaded and initialised, so everything else waits behind the dynamic import.
 */

function option(name) {
  const el = document.getElementById('jupyter-config-data');
  const config = el ? JSON.parse(el.textContent || '{}') : {};
  return config[name];
}

// Chunks live under the server's static prefix, whatever the base URL.
__webpack_public_path__ = String(option('fullStaticUrl') || '') + '/';

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.onerror = () => reject(new Error(`could not load ${url}`));
    script.onload = () => resolve();
    script.async = true;
    script.src = url;
    document.head.appendChild(script);
  });
}

async function loadRemote(base, data) {
  await loadScript(`${base}/${data.name}/${data.load}`);
  const container = window._JUPYTERLAB[data.name];
  await container.init(__webpack_share_scopes__.default);
}

async function bootstrap() {
  window._JUPYTERLAB = window._JUPYTERLAB || {};
  await __webpack_init_sharing__('default');
  const federated = option('federated_extensions') || [];
  const base = String(option('fullLabextensionsUrl') || '').replace(/\/$/, '');
  const results = await Promise.allSettled(federated.map((data) => loadRemote(base, data)));
  const loaded = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') loaded.push(federated[i]);
    else console.error(`prebuilt extension ${federated[i].name} failed to load`, result.reason);
  });
  const { main } = await import('./main.js');
  await main(loaded);
}

bootstrap().catch((error) => {
  console.error(error);
  document.body.textContent = `JupyterLab failed to start: ${error && error.message}`;
});
