import { ILayoutRestorer } from '@jupyterlab/application';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification, showDialog } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import { RunsDefaults } from '../contract/settings';
import type { RunsSettings } from '../contract/settings';
import { settingsOf } from '../settings';
import { RunsModel } from '../runs/model';
import { parametersCell, renderLog, RunsPanel, SendFormBody } from '../runs/view';
import type { SendForm } from '../runs/view';
import { IWarrenServices } from '../tokens';

const PLUGIN_ID = 'warren:runs';

namespace CommandIDs {
  export const send = 'warren:send-to-cluster';
  export const open = 'warren:open-runs';
}

const runsIcon = new LabIcon({
  name: 'warren:runs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M4 4h16v4H4zm0 6h16v4H4zm0 6h16v4H4z" opacity=".35"/><path d="M6 5h2v2H6zm0 6h2v2H6zm0 6h2v2H6z"/><path d="M15 9l5 3-5 3z"/></g></svg>'
});

/** "Send to cluster" in the notebook toolbar (declared in schema/runs.json) and the Runs panel. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Sends notebooks to Slurm or an SSH host and follows them in the Runs panel.',
  requires: [IWarrenServices],
  optional: [
    INotebookTracker,
    ISettingRegistry,
    ICommandPalette,
    ILayoutRestorer,
    IRenderMimeRegistry
  ],
  autoStart: true,
  activate: activateRuns
};

function activateRuns(
  app: JupyterFrontEnd,
  services: IWarrenServices,
  notebooks: INotebookTracker | null,
  settings: ISettingRegistry | null,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null,
  rendermime: IRenderMimeRegistry | null
): void {
  // bench/lab-load.ts adds up every warren plugin's activate measure.
  const started = performance.now();
  const model = new RunsModel({ services });
  let { profiles, notify, resultsFolder } = RunsDefaults;
  const send = model.send.bind(model);
  const openResult = (id: string) => {
    const run = model.get(id);
    if (run?.result) void app.commands.execute('docmanager:open', { path: run.result });
    else send({ type: 'fetch', id });
  };
  const label = (id: string) => model.get(id)?.notebook.split('/').pop() ?? id;
  const panel = new RunsPanel({
    model,
    actions: {
      cancel: (id) => {
        Notification.info(`Cancelling ${label(id)} (run ${id})…`, { autoClose: 5000 });
        send({ type: 'cancel', id });
      },
      open: openResult,
      // A selected run's log: the follow looks at the selection now, not at its next check.
      tail: () => follow.refresh(),
      retry: (id) => send({ type: 'retry', id }),
      forget: (id) => void forget(id),
      openResults: () => void openResultsFolder()
    },
    renderLog: (text, host) => renderLog(rendermime, text, host)
  });
  const forget = async (id: string) => {
    const result = await showDialog({
      title: 'Forget this run?',
      body:
        `${label(id)} (run ${id}) leaves the list and warren forgets it. ` +
        'Its folder on the cluster and any fetched result stay where they are.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Forget' })]
    });
    if (result.button.accept) send({ type: 'forget', id });
  };
  // The results folder is made on first use, then shown in the file browser.
  const openResultsFolder = async () => {
    const contents = app.serviceManager.contents;
    try {
      await contents.get(resultsFolder, { content: false });
    } catch {
      const made = await contents.newUntitled({ type: 'directory', path: '' });
      await contents.rename(made.path, resultsFolder);
    }
    await app.commands.execute('filebrowser:go-to-path', { path: resultsFolder });
  };
  panel.id = 'jp-warren-runs';
  panel.title.icon = runsIcon;
  panel.title.caption = 'Runs';

  model.fetched.connect((_, path) => void app.commands.execute('docmanager:open', { path }));
  model.failed.connect((_, message) => Notification.error(`Runs: ${message}`, { autoClose: 8000 }));
  model.ended.connect((_, { run }) => {
    if (!notify) return;
    const ok = run.state === 'completed';
    Notification.emit(
      `${run.notebook.split('/').pop()}: ${run.state.toUpperCase()} on ${run.profile}`,
      ok ? 'success' : run.state === 'cancelled' ? 'warning' : 'error',
      {
        autoClose: 10000,
        actions:
          run.kind === 'notebook'
            ? [{ label: 'Open result', callback: () => openResult(run.id) }]
            : [{ label: 'Show', callback: () => (show(), panel.select(run.id)) }]
      }
    );
  });
  // The live log of the selected run, pushed by the kernel while the panel shows.
  const follow = model.followTail(() => (panel.isVisible ? panel.selected : null));
  panel.disposed.connect(() => follow.dispose());
  const showConnection = () => panel.setServicesStatus(model.servicesStatus, model.servicesMessage);
  model.connectionChanged.connect(showConnection);
  showConnection();

  const show = () => {
    if (!panel.isAttached) app.shell.add(panel, 'right', { rank: 920 });
    app.shell.activateById(panel.id);
  };
  app.commands.addCommand(CommandIDs.open, {
    label: 'Cluster Runs Panel',
    caption: 'Open the warren Runs panel: notebooks and maps sent to a cluster',
    icon: runsIcon,
    execute: show
  });
  app.commands.addCommand(CommandIDs.send, {
    label: 'Send to cluster',
    caption: 'Run this notebook on a cluster profile (Slurm or an SSH host)',
    icon: runsIcon,
    isEnabled: () => !!notebooks?.currentWidget,
    execute: async () => {
      const widget = notebooks?.currentWidget;
      if (!widget) return;
      if (profiles.length === 0) {
        await showDialog({
          title: 'No cluster profile',
          body: 'Add a profile in Settings > Warren Runs first.',
          buttons: [Dialog.okButton()]
        });
        return;
      }
      const result = await showDialog<SendForm>({
        title: `Send ${widget.context.path} to a cluster`,
        body: new SendFormBody(profiles, parametersCell(widget)),
        buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Submit' })]
      });
      if (!result.button.accept || !result.value) return;
      const form = result.value;
      const profile = profiles.find((p) => p.name === form.profile);
      if (!profile) return;
      // The cluster runs what is on disk.
      if (widget.context.model.dirty) await widget.context.save();
      send({
        type: 'submit',
        notebook: widget.context.path,
        profile,
        resources: form.resources,
        parameters: form.parameters,
        inputs: form.inputs,
        outputs: form.outputs,
        resultsDir: resultsFolder
      });
      show();
    }
  });
  palette?.addItem({ command: CommandIDs.send, category: 'Warren' });
  palette?.addItem({ command: CommandIDs.open, category: 'Warren' });

  void app.restored.then(async () => {
    if (settings) {
      try {
        const loaded = await settings.load(PLUGIN_ID);
        const apply = () => {
          ({ profiles, notify, resultsFolder } = settingsOf<RunsSettings>(loaded, RunsDefaults));
          // A profile being filled in the Settings Editor is offered once it has a name and a folder.
          profiles = profiles.filter((p) => p.name.trim() && p.workdir.trim());
        };
        apply();
        loaded.changed.connect(apply);
      } catch (error) {
        console.warn('warren: runs settings could not be loaded', error);
      }
    }
    app.shell.add(panel, 'right', { rank: 920 });
    restorer?.add(panel, 'warren-runs');
    send({ type: 'list' });
  });
  performance.measure('warren:runs activate', { start: started });
}

export default plugin;
