"""Installs the `elixir` kernelspec (see design.md: name `elixir`, display name `Elixir (IEx)`)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.paths import jupyter_data_dir

KERNEL_NAME = "elixir"
RESOURCES = Path(__file__).with_name("resources")
# Elixir highlighting in JupyterLab's editor: a prebuilt extension (rebuild: `make labextension`).
LABEXTENSION = Path(__file__).with_name("labextension") / "prebuilt"
LABEXTENSION_NAME = "jupyterlab-elixir-highlight"


def kernel_json() -> dict:
    return {
        "argv": [sys.executable, "-m", "iex_kernel", "-f", "{connection_file}"],
        "display_name": "Elixir (IEx)",
        "language": "elixir",
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }


def install(user: bool = False, prefix: str | None = None) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kernel.json").write_text(json.dumps(kernel_json(), indent=2))
        for logo in RESOURCES.glob("logo-*"):
            shutil.copy(logo, tmp)
        return KernelSpecManager().install_kernel_spec(tmp, KERNEL_NAME, user=user, prefix=prefix)


def install_labextension(prefix: str) -> Path:
    """Copies the prebuilt extension where JupyterLab looks for prebuilt extensions."""
    target = Path(prefix) / "share" / "jupyter" / "labextensions" / LABEXTENSION_NAME
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    shutil.copytree(LABEXTENSION, target)
    return target


# JupyterLab defaults for the course: every cell stays rendered (course notebooks are short, and a
# learner searches and scrolls them freely), and no news prompt on a first start.
LAB_DEFAULTS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def install_lab_defaults(prefix: str) -> Path:
    """Merges LAB_DEFAULTS into JupyterLab's overrides.json under `prefix` (other settings are kept)."""
    target = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    settings = json.loads(target.read_text()) if target.exists() else {}
    for plugin, values in LAB_DEFAULTS.items():
        settings.setdefault(plugin, {}).update(values)
    target.write_text(json.dumps(settings, indent=2) + "\n")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iex_kernel install", description=__doc__)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user (~/.local/share/jupyter)")
    where.add_argument("--sys-prefix", action="store_true", help="install into this Python environment (default in a venv)")
    where.add_argument("--prefix", help="install under this prefix")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    in_venv = sys.prefix != sys.base_prefix
    prefix = args.prefix or (sys.prefix if args.sys_prefix or (in_venv and not args.user) else None)
    path = install(user=args.user or prefix is None, prefix=prefix)
    data_prefix = prefix or str(Path(jupyter_data_dir()).parent.parent)
    extension = install_labextension(data_prefix)
    install_lab_defaults(data_prefix)
    if not args.quiet:
        print(f"Installed the `{KERNEL_NAME}` kernelspec in {path}")
        print(f"Installed Elixir highlighting for JupyterLab in {extension}")
    return 0
