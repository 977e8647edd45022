"""The course's JupyterHub settings. ``python -m workshop serve`` (``make hub``) runs JupyterHub with
this file once the hub's folder is laid out; it passes what varies in OTP_HUB_* variables."""

import json
import os
from pathlib import Path

from workshop.image import Layout

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)
layout = Layout(Path(os.environ["OTP_HUB_DIR"]))
codes = json.loads((layout.state / "codes.json").read_text())

c.JupyterHub.ip = os.environ.get("OTP_HUB_IP", "127.0.0.1")
c.JupyterHub.port = port = int(os.environ.get("OTP_HUB_PORT", "8000"))
# The hub's API and the proxy's, on loopback, next to the public port (8081 and 8001 for 8000).
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = port + 81
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 1}"
c.JupyterHub.db_url = f"sqlite:///{layout.state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(layout.state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(layout.state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [os.environ["OTP_HUB_PROXY"]]
c.ConfigurableHTTPProxy.pid_file = str(layout.state / "proxy.pid")
# Stopping the hub stops the proxy and every learner's server with it.
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

c.JupyterHub.authenticator_class = "workshop.auth.WorkshopAuthenticator"
c.WorkshopAuthenticator.accounts_file = str(layout.state / "accounts.json")
c.WorkshopAuthenticator.learner_code = codes["learner"]
c.WorkshopAuthenticator.instructor_code = codes["instructor"]
c.WorkshopAuthenticator.roster_file = os.environ.get("OTP_HUB_ROSTER", "")
c.Authenticator.admin_users = set(filter(None, os.environ.get("OTP_HUB_INSTRUCTORS", "").split(",")))

c.JupyterHub.spawner_class = "workshop.spawner.WorkshopSpawner"
c.WorkshopSpawner.hub_dir = str(layout.root)
c.WorkshopSpawner.repository = os.environ["OTP_HUB_REPOSITORY"]
c.WorkshopSpawner.expose_app = os.environ.get("OTP_HUB_EXPOSE_APP") == "1"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# A room signs in at once: spawns beyond ten wait their turn instead of starving each other.
c.JupyterHub.concurrent_spawn_limit = 10
