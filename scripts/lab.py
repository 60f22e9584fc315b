"""Serve the JupyterLab page built under app/build with Debian's jupyter_server.

The Python `jupyterlab` package is not installed here; `jupyterlab_server`'s
LabServerApp serves the page, and this subclass fills what `jupyterlab` would:
the page_config keys the frontend reads, the app's directories, and the
endpoints JupyterLab 4 calls that jupyter_server 1.x lacks.

Run with the system interpreter (the one that has jupyter_server):
    /usr/bin/python3 scripts/lab.py --ServerApp.ip=127.0.0.1 ...
scripts/start.js does that after building what is missing.
"""

import json
import os
import sys

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.zmqhandlers import WebSocketMixin
from jupyterlab_server import LabServerApp
from jupyterlab_server.handlers import NotFoundHandler
from tornado import web, websocket
from traitlets import Bool, Unicode, default

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "app", "build")

# JupyterLab's version, as the frontend in app/build was built from it.
LAB_VERSION = "4.6.3"
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"


class MeHandler(JupyterHandler):
    """GET /api/me (jupyter_server 2 has it; the user menu and collaboration ask)."""

    @web.authenticated
    def get(self):
        name = os.environ.get("USER") or "user"
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "identity": {
                        "username": name,
                        "name": name,
                        "display_name": name,
                        "initials": name[:1].upper(),
                        "avatar_url": None,
                        "color": None,
                    },
                    "permissions": {},
                }
            )
        )


class EventsHandler(JupyterHandler):
    """POST /api/events: accept and drop (no event bus in jupyter_server 1.x)."""

    @web.authenticated
    def post(self):
        self.set_status(204)
        self.finish()


class EventsSocket(WebSocketMixin, websocket.WebSocketHandler, JupyterHandler):
    """WS /api/events/subscribe: a socket that stays open and says nothing.

    Without it the frontend retries the 404 forever and fills the console."""

    async def get(self, *args, **kwargs):
        if self.current_user is None:
            raise web.HTTPError(403)
        return await super().get(*args, **kwargs)

    def on_message(self, message):
        pass


class LspStatusHandler(JupyterHandler):
    """GET /lsp/status: no language servers."""

    @web.authenticated
    def get(self):
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"version": 2, "sessions": {}, "specs": {}}))


class LabApiNotFound(JupyterHandler):
    """A JSON 404 for the Lab API routes of the `jupyterlab` package.

    jupyterlab_server would answer them with the HTML page through its
    NotFoundHandler, which writes `notFoundUrl` into the page_config that every
    later page shares: after one visit to the Extension Manager, every page
    load would show a "path not found" dialog."""

    def prepare(self):
        super().prepare()
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": "not available in this server"}))


def keep_not_found_to_its_page(handler, page_config):
    """page_config_hook: `notFoundUrl` belongs only to the page that was not found."""
    if not isinstance(handler, NotFoundHandler):
        page_config.pop("notFoundUrl", None)
    return page_config


class WarrenLab(LabServerApp):
    name = "warren_lab"
    app_name = "JupyterLab"
    description = "JupyterLab 4 built from npm, with the warren extension"
    load_other_extensions = False

    expose_app_in_browser = Bool(
        False, config=True, help="Expose the application as window.jupyterapp (tests)."
    ).tag(config=True)

    settings_root = Unicode(
        "", config=True, help="Where user settings and workspaces are kept."
    ).tag(config=True)

    @default("app_version")
    def _default_app_version(self):
        return LAB_VERSION

    @default("static_dir")
    def _default_static_dir(self):
        return os.path.join(BUILD, "static")

    @default("templates_dir")
    def _default_templates_dir(self):
        # The built index.html is the Jinja template (HtmlRspackPlugin wrote it).
        return os.path.join(BUILD, "static")

    @default("schemas_dir")
    def _default_schemas_dir(self):
        return os.path.join(BUILD, "schemas")

    @default("themes_dir")
    def _default_themes_dir(self):
        return os.path.join(BUILD, "themes")

    @default("app_settings_dir")
    def _default_app_settings_dir(self):
        return os.path.join(BUILD, "settings")

    @default("user_settings_dir")
    def _default_user_settings_dir(self):
        return os.path.join(self._settings_root(), "user-settings")

    @default("workspaces_dir")
    def _default_workspaces_dir(self):
        return os.path.join(self._settings_root(), "workspaces")

    def _settings_root(self):
        if self.settings_root:
            return self.settings_root
        from jupyter_core.paths import jupyter_config_dir

        return os.path.join(jupyter_config_dir(), "lab")

    def initialize_settings(self):
        super().initialize_settings()
        server = self.serverapp
        token = getattr(server, "token", "") or ""
        fixed = {
            "appName": self.app_name,
            "appNamespace": "jupyterlab",
            "appVersion": LAB_VERSION,
            "buildAvailable": False,
            "buildCheck": False,
            "devMode": False,
            "token": token,
            "exposeAppInBrowser": self.expose_app_in_browser,
            "quitButton": bool(getattr(server, "quit_button", False)),
        }

        def hook(handler, page_config):
            # Runs after jupyterlab_server has copied its traits and the on-disk
            # page_config.json into page_config, so these win.
            page_config.update(fixed)
            disabled = page_config.get("disabledExtensions") or []
            if isinstance(disabled, dict):
                disabled = [k for k, v in disabled.items() if v]
            # It fetches news from the network; this page stays offline.
            if ANNOUNCEMENTS not in disabled:
                disabled = list(disabled) + [ANNOUNCEMENTS]
            page_config["disabledExtensions"] = disabled
            return keep_not_found_to_its_page(handler, page_config)

        self.settings["page_config_hook"] = hook

    def initialize_handlers(self):
        super().initialize_handlers()
        # Ahead of the Lab's catch-all NotFoundHandler.
        self.handlers[0:0] = [
            (r"/api/me", MeHandler),
            (r"/api/events", EventsHandler),
            (r"/api/events/subscribe", EventsSocket),
            (r"/lsp/status", LspStatusHandler),
            (r"/lab/api/(?:extensions|plugins|build|news|update)(?:/.*)?", LabApiNotFound),
        ]


def _jupyter_server_extension_points():
    # launch_instance registers this module (it may run as __main__) as the extension.
    return [{"module": __name__, "app": WarrenLab}]


def main():
    missing = [
        p
        for p in (os.path.join(BUILD, "static", "index.html"), os.path.join(BUILD, "schemas"))
        if not os.path.exists(p)
    ]
    if missing:
        sys.stderr.write(
            "warren lab: the page is not built (%s); run `npm run build:lab`\n" % ", ".join(missing)
        )
        sys.exit(2)
    WarrenLab.launch_instance()


if __name__ == "__main__":
    main()
