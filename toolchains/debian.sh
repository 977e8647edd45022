#!/usr/bin/env bash
# A second toolchain: a Debian root of another release, with that release's Elixir and Python.
# Debian 13 (trixie) gives Elixir 1.18 on OTP 27 and Python 3.13; Debian 12 (bookworm) Elixir 1.14
# on OTP 25 and Python 3.11.
#
#   toolchains/debian.sh SUITE root          builds the root once (cached in $DEBIAN_ROOTS/SUITE)
#   toolchains/debian.sh SUITE run [--offline] CMD...
#                                            runs CMD in a copy of this checkout inside that root;
#                                            --offline: in a network namespace of its own (loopback
#                                            only), so ports and epmd are not shared with the host
#   toolchains/debian.sh other               the suite this machine is not (trixie on Debian 12)
#
# The root is made by debootstrap and entered with bubblewrap (pivot_root, not chroot, so the
# grading sandbox's own bubblewrap still works inside). The checkout is copied, not shared:
# the .venv, _build folders and caches of each toolchain stay apart.
set -euo pipefail

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What `make test` needs that `make setup` does not install itself: the suite inside installs the
# rest (elixir, bubblewrap, chromium) through the Makefile, as on a fresh machine.
BASE_PACKAGES=python3,python3-venv,make,git,ca-certificates,procps
SRC=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "toolchains/debian.sh: $*" >&2; exit 1; }

# trixie on a Debian 12 machine, bookworm on anything else (Debian 13 included).
other_suite() {
  local codename
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  if [ "$codename" = bookworm ]; then echo trixie; else echo bookworm; fi
}

need_root() {
  [ "$(id -u)" = 0 ] || die "building and entering a Debian root needs root (debootstrap, bind mounts): run it with sudo"
}

build_root() {
  need_root
  if [ -f "$ROOT/.otp-playbook-root" ]; then return 0; fi
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  command -v bwrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }
  # A half-built root from an interrupted run is started again, never reused.
  rm -rf "$ROOT.partial"
  mkdir -p "$(dirname "$ROOT")"
  echo "Building the Debian $SUITE root in $ROOT (once; a few minutes)"
  debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$ROOT.partial" "$MIRROR" >"$ROOT.log" 2>&1 \
    || die "debootstrap failed; its log: $ROOT.log"
  cp /etc/resolv.conf "$ROOT.partial/etc/resolv.conf"
  touch "$ROOT.partial/.otp-playbook-root"
  rm -rf "$ROOT"
  mv "$ROOT.partial" "$ROOT"
}

# The root trusts what this machine trusts (a local CA in front of the package registries, say)
# and keeps its apt settings.
share_host_trust() {
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp -f /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
  cp -f /etc/apt/apt.conf.d/99* "$ROOT/etc/apt/apt.conf.d/" 2>/dev/null || true
  enter update-ca-certificates >/dev/null 2>&1 || die "could not install this machine's CA certificates in the root"
}

# The proxy and pip settings of this machine, passed on as --setenv pairs.
host_env() {
  local name
  for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_DEFAULT_TIMEOUT PIP_INDEX_URL PIP_EXTRA_INDEX_URL; do
    [ -n "${!name:-}" ] && printf '%s\0%s\0%s\0' --setenv "$name" "${!name}"
  done
  return 0
}

# Runs its arguments inside the root as root, with the host's network, in a pid namespace of its own
# (everything started inside ends with it). Its /proc is mounted by unshare and bound in by
# bubblewrap: a proc that bubblewrap mounts itself would stop the grading sandbox inside from
# mounting its own.
enter() {
  local extra=()
  mapfile -d '' -t extra < <(host_env)
  if [ "${OFFLINE:-}" = 1 ]; then extra+=(--unshare-net); fi
  unshare --pid --fork --kill-child --mount-proc \
    bwrap --clearenv --bind "$ROOT" / --dev-bind /dev /dev --bind /proc /proc --bind /sys /sys --perms 1777 --tmpfs /tmp \
    --ro-bind /etc/resolv.conf /etc/resolv.conf --ro-bind-try /etc/hosts /etc/hosts \
    --die-with-parent --cap-add ALL \
    --setenv HOME /root --setenv PATH /usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
    --setenv LANG C.UTF-8 --setenv CI "${CI:-}" \
    --setenv SSL_CERT_FILE /etc/ssl/certs/ca-certificates.crt --setenv PIP_CERT /etc/ssl/certs/ca-certificates.crt \
    "${extra[@]}" "$@"
}

# The checkout as git sees it (tracked files and new ones not ignored), copied afresh into the
# root; only the root's own .venv is kept between runs.
copy_checkout() {
  local dest=$ROOT/course
  mkdir -p "$dest"
  find "$dest" -mindepth 1 -maxdepth 1 ! -name .venv -exec rm -rf {} +
  # A tracked file deleted in the work tree is skipped (--ignore-failed-read), as a commit would.
  (cd "$SRC" && git ls-files -z --cached --others --exclude-standard) \
    | tar -C "$SRC" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$dest" -xf -
}

usage="usage: toolchains/debian.sh SUITE root | SUITE run [--offline] COMMAND [ARGS...] | other"
[ "${1:-}" = other ] && { other_suite; exit 0; }
SUITE=${1:-}
case "$SUITE" in
  bookworm|trixie) ;;
  *) die "$usage (SUITE: bookworm or trixie)" ;;
esac
ROOT=${DEBIAN_ROOTS:-/var/cache/otp-playbook}/$SUITE-root
shift

case "${1:-}" in
  root)
    build_root
    ;;
  run)
    shift
    OFFLINE=0
    if [ "${1:-}" = --offline ]; then OFFLINE=1; shift; fi
    [ $# -gt 0 ] || die "$usage"
    build_root
    share_host_trust
    copy_checkout
    enter --chdir /course "$@"
    ;;
  *)
    die "$usage"
    ;;
esac
