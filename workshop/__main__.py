"""``python -m workshop serve``: lays out the hub's folder, then runs JupyterHub on it.

    python -m workshop serve [--dir /srv/otp-playbook-hub] [--port 8000] [--ip 127.0.0.1]
                             [--instructor NAME ...] [--roster FILE] [--manifest course.toml]
                             [--learner-code CODE] [--instructor-code CODE]
    python -m workshop codes [--dir ...]      prints the room's sign-up codes
    python -m workshop learner-image --dir DIR  only the learners' files (a container image's)
    python -m workshop remove-learners [NAME ...]
                                              removes the learners' Unix accounts (all, or those
                                              named); their homes, with their work, stay

The sign-up codes are made at the first start and kept in HUB_DIR/state/codes.json; giving one
on the command line (or in OTP_HUB_LEARNER_CODE / OTP_HUB_INSTRUCTOR_CODE) replaces it.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from grader.exercise import repo_root

from .accounts import MIN_INSTRUCTOR_CODE, MIN_LEARNER_CODE, AccountError, check_name, new_code, read_roster
from .auth import LEARNER_GROUP
from grader.course import CourseError

from .image import DEFAULT_DIR, ImageError, Layout, prepare, prepare_learner_files

CONFIG = Path(__file__).resolve().parent / "jupyterhub_config.py"


class ServeError(RuntimeError):
    """The hub cannot start here; the message says what to do."""


def proxy_command(repo: Path) -> Path:
    proxy = repo / ".venv" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        raise ServeError(f"configurable-http-proxy is not installed ({proxy}): run `make hub-packages`")
    return proxy


def room_codes(layout: Layout, learner: str | None, instructor: str | None) -> dict[str, str]:
    """The room's codes: those given, else the ones kept from the last start, else new ones."""
    path = layout.state / "codes.json"
    codes = json.loads(path.read_text()) if path.exists() else {}
    codes["learner"] = learner or codes.get("learner") or new_code(10)
    codes["instructor"] = instructor or codes.get("instructor") or new_code(24)
    if len(codes["learner"]) < MIN_LEARNER_CODE:
        raise ServeError(f"the learner code must have at least {MIN_LEARNER_CODE} characters")
    if len(codes["instructor"]) < MIN_INSTRUCTOR_CODE or codes["instructor"] == codes["learner"]:
        raise ServeError(f"the instructor code must have at least {MIN_INSTRUCTOR_CODE} characters and differ "
                         "from the learner code")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(codes, out)
    return codes


def check_machine() -> None:
    if os.geteuid() != 0:
        raise ServeError("the workshop hub makes a Unix account for each learner, so it runs as root: sudo make hub")
    for tool, package in (("useradd", "passwd"), ("bwrap", "bubblewrap")):
        if not shutil.which(tool):
            raise ServeError(f"{tool} is missing: apt-get install {package}")
    subprocess.run(["groupadd", "--force", LEARNER_GROUP], check=True)


def serve(args) -> int:
    check_machine()
    repo = repo_root()
    layout = Layout(Path(args.dir).resolve())
    instructors = [check_name(name) for name in args.instructor or ["instructor"]]
    roster = Path(args.roster).resolve() if args.roster else None
    read_roster(roster)  # refuses a bad roster now, not at the first sign-in
    proxy = proxy_command(repo)
    for line in prepare(layout, repo, Path(args.manifest).resolve() if args.manifest else None):
        print(line, flush=True)
    codes = room_codes(layout, args.learner_code or os.environ.get("OTP_HUB_LEARNER_CODE"),
                       args.instructor_code or os.environ.get("OTP_HUB_INSTRUCTOR_CODE"))
    print(f"\nThe workshop hub: http://{args.ip}:{args.port}/\n"
          f"  learners sign up with a name, a password of their own and the code  {codes['learner']}\n"
          f"  instructors ({', '.join(instructors)}) sign up with the instructor code  {codes['instructor']}\n"
          f"  (python -m workshop codes shows them again; Ctrl-C stops the hub and every server)\n", flush=True)
    env = {**os.environ, "OTP_HUB_DIR": str(layout.root), "OTP_HUB_REPOSITORY": str(repo),
           "OTP_HUB_PROXY": str(proxy), "OTP_HUB_IP": args.ip, "OTP_HUB_PORT": str(args.port),
           "OTP_HUB_INSTRUCTORS": ",".join(instructors), "OTP_HUB_ROSTER": str(roster or ""),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}
    os.chdir(layout.state)
    os.execve(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)], env)


def show_codes(args) -> int:
    path = Layout(Path(args.dir).resolve()).state / "codes.json"
    if not path.exists():
        raise ServeError(f"no hub has started in {args.dir} yet: python -m workshop serve makes the codes")
    codes = json.loads(path.read_text())
    print(f"learners: {codes['learner']}\ninstructors: {codes['instructor']}")
    return 0


def learner_image(args) -> int:
    for line in prepare_learner_files(Layout(Path(args.dir).resolve()), repo_root()) or ["up to date"]:
        print(line)
    return 0


def remove_learners(args) -> int:
    if os.geteuid() != 0:
        raise ServeError("removing Unix accounts needs root: sudo python -m workshop remove-learners")
    try:
        gid = grp.getgrnam(LEARNER_GROUP).gr_gid
    except KeyError:
        print("no learner accounts on this machine")
        return 0
    learners = sorted(a.pw_name for a in pwd.getpwall() if a.pw_gid == gid)
    unknown = sorted(set(args.names) - set(learners))
    if unknown:
        raise ServeError(f"not learner accounts of the hub: {', '.join(unknown)}")
    chosen = args.names or learners
    running = [name for name in chosen
               if subprocess.run(["pgrep", "-u", name], capture_output=True).returncode == 0]
    if running:
        raise ServeError(f"{', '.join(running)} still run processes: stop the hub first (Ctrl-C on make hub)")
    for name in chosen:
        subprocess.run(["userdel", name], check=True)
    print(f"removed {len(chosen)} learner accounts" + (f": {', '.join(chosen)}" if chosen else ""))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="lay out the hub's folder and run JupyterHub")
    run.add_argument("--dir", default=os.environ.get("OTP_HUB_DIR", str(DEFAULT_DIR)))
    run.add_argument("--ip", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--instructor", action="append", help="an instructor's name (default: instructor)")
    run.add_argument("--roster", help="only these learners may sign up: one name a line")
    run.add_argument("--manifest", help="the course's assignments (default: course.toml)")
    run.add_argument("--learner-code")
    run.add_argument("--instructor-code")
    run.set_defaults(func=serve)
    codes = commands.add_parser("codes", help="print the room's sign-up codes")
    codes.add_argument("--dir", default=os.environ.get("OTP_HUB_DIR", str(DEFAULT_DIR)))
    codes.set_defaults(func=show_codes)
    image = commands.add_parser("learner-image", help="only the learners' files (for a container image)")
    image.add_argument("--dir", required=True)
    image.set_defaults(func=learner_image)
    remove = commands.add_parser("remove-learners", help="remove the learners' Unix accounts (their homes stay)")
    remove.add_argument("names", nargs="*", help="only these learners")
    remove.set_defaults(func=remove_learners)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ServeError, ImageError, AccountError, CourseError) as exc:
        print(f"workshop: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
