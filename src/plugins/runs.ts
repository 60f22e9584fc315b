import { ILayoutRestorer } from '@jupyterlab/application';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification, showDialog } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';
import { CommTargets } from '../contract';
import type { JSONObject } from '../contract';
import type { RunsRequest } from '../contract/runs';
import { RunsDefaults } from '../contract/settings';
import type { RunsSettings } from '../contract/settings';
import { settingsOf } from '../settings';
import { RunsModel } from '../runs/model';
import { RunsPanel, SendFormBody } from '../runs/view';
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
  optional: [INotebookTracker, ISettingRegistry, ICommandPalette, ILayoutRestorer],
  autoStart: true,
  activate: activateRuns
};

function activateRuns(
  app: JupyterFrontEnd,
  services: IWarrenServices,
  notebooks: INotebookTracker | null,
  settings: ISettingRegistry | null,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null
): void {
  const model = new RunsModel();
  let { profiles, notify } = RunsDefaults;
  let channel: ReturnType<IWarrenServices['openChannel']> | null = null;
  // Requests made while the services kernel is away wait for the comm to open.
  const pending: RunsRequest[] = [];
  const send = (request: RunsRequest): void => {
    if (!channel) {
      channel = Private.connect(services, model);
      channel.opened.connect(() => {
        for (const r of pending.splice(0)) channel?.send(r as unknown as JSONObject);
      });
    }
    if (!channel.send(request as unknown as JSONObject)) pending.push(request);
  };
  const openResult = (id: string) => {
    const run = model.get(id);
    if (run?.result) void app.commands.execute('docmanager:open', { path: run.result });
    else send({ type: 'fetch', id });
  };
  const panel = new RunsPanel({
    model,
    actions: {
      cancel: (id) => send({ type: 'cancel', id }),
      open: openResult,
      tail: (id) => send({ type: 'tail', id })
    }
  });
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
      ok ? 'success' : 'error',
      {
        autoClose: 10000,
        actions: [{ label: 'Open result', callback: () => openResult(run.id) }]
      }
    );
  });
  // A live tail of the selected unfinished run.
  const tailTimer = window.setInterval(() => {
    const id = panel.selected;
    const run = id ? model.get(id) : undefined;
    if (id && run && panel.isVisible && !RunsModel.isFinal(run.state)) send({ type: 'tail', id });
  }, 2000);
  panel.disposed.connect(() => window.clearInterval(tailTimer));

  const show = () => {
    if (!panel.isAttached) app.shell.add(panel, 'right', { rank: 920 });
    app.shell.activateById(panel.id);
  };
  app.commands.addCommand(CommandIDs.open, {
    label: 'Show Runs',
    caption: 'Open the warren Runs panel',
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
        body: new SendFormBody(profiles),
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
        outputs: form.outputs
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
          ({ profiles, notify } = settingsOf<RunsSettings>(loaded, RunsDefaults));
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
}

namespace Private {
  export function connect(services: IWarrenServices, model: RunsModel) {
    const channel = services.openChannel(CommTargets.runs);
    channel.received.connect((_, message) => model.ingest(message));
    // After a services restart the list is sent again on open.
    return channel;
  }
}

export default plugin;
