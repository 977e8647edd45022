# OTP Playbook course: set-up, JupyterLab and the test suite.
#   make setup            Elixir (Debian packages when missing), .venv/ with the project, the `elixir` kernelspec
#   make lab              a learner's JupyterLab on workspace/ (the released course), 127.0.0.1, token auth
#   make lab-instructor   JupyterLab on the whole repository, with nbgrader's instructor tools
#   make hub              the workshop server: JupyterHub for a room of learners (root; see README)
#   make test             the whole suite (set-up first)
#   make test-trixie      the whole suite again on Debian 13's Elixir 1.18 / OTP 27, in a cached Debian 13 root
#   make test-bookworm    the same on Debian 12's Elixir 1.14 / OTP 25 (for a Debian 13 machine)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ELIXIR_MIN := 1.14.0
# The Elixir versions the suite runs on (Debian 12's and Debian 13's); others get a note at set-up.
ELIXIR_TESTED := 1.14 1.18
# System packages, by the command that proves each is there.
SYSTEM_PACKAGES := elixir:elixir bwrap:bubblewrap epmd:erlang-base dialyzer:erlang-dialyzer
BROWSER_PACKAGES := chromium:chromium
HUB_PACKAGES := node:nodejs npm:npm useradd:passwd
# The hub's proxy, from the npm registry, installed into .venv/proxy.
PROXY_VERSION := 5.3.0
PROXY := $(VENV)/proxy/node_modules/.bin/configurable-http-proxy

# Tools the venv installs (jupyter, nbgrader's alembic, ...) are found first by every recipe.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup lab lab-instructor hub hub-packages test test-fast test-trixie test-bookworm system-packages browser-packages kernelspec labextension bench clean

setup: system-packages $(STAMP) kernelspec

# Installs what is missing from Debian's packages when root; otherwise says what to run.
define ensure_packages
	@missing=""; \
	for pair in $(1); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing"; \
	    echo "  Debian/Ubuntu: sudo apt-get install$$missing"; \
	    echo "  conda:         conda env create -f environment.yml && conda activate otp-playbook"; \
	    exit 1; \
	  fi; \
	fi
endef

system-packages:
	$(call ensure_packages,$(SYSTEM_PACKAGES))
	@elixir -e 'unless Version.match?(System.version(), ">= $(ELIXIR_MIN)"), do: (IO.puts(:stderr, "Elixir #{System.version()} is too old: the course needs >= $(ELIXIR_MIN) (Debian 12: apt-get install elixir; or use environment.yml)"); System.halt(1))'
	@elixir -e 'v = Version.parse!(System.version()); unless "#{v.major}.#{v.minor}" in ~w($(ELIXIR_TESTED)), do: IO.puts(:stderr, "Note: Elixir #{System.version()} works but is not one the course is tested on ($(ELIXIR_TESTED)): see README, Versions.")'

browser-packages:
	$(call ensure_packages,$(BROWSER_PACKAGES))

hub-packages: $(PROXY)

$(PROXY): | $(STAMP)
	$(call ensure_packages,$(HUB_PACKAGES))
	npm install --no-audit --no-fund --loglevel=error --prefix $(VENV)/proxy configurable-http-proxy@$(PROXY_VERSION)

# The workshop server on 127.0.0.1:8000 (HUB_ARGS="--ip 0.0.0.0 --instructor grace --roster room.txt ...").
hub: setup hub-packages
	$(BIN)/python -m workshop serve $(HUB_ARGS)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

kernelspec: $(STAMP)
	@$(BIN)/python -m iex_kernel install --sys-prefix --quiet

# Rebuilds the prebuilt Elixir highlighting extension (iex_kernel/labextension/prebuilt, committed)
# from its source with npm; `make setup` only copies the prebuilt files into .venv.
labextension: $(STAMP)
	cd iex_kernel/labextension && npm install --no-audit --no-fund --loglevel=error \
	  && PATH="$(CURDIR)/$(BIN):$$PATH" jupyter labextension build .
	@$(MAKE) --no-print-directory kernelspec

# The learner's own copy of the released course (made once, then only completed: their work is kept).
lab: setup
	$(BIN)/python -m grader learner-lab --workspace workspace $$([ "$${OPEN_BROWSER:-True}" = True ] || echo --no-browser)

lab-instructor: setup
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" \
	  --LabApp.default_url=/lab/tree/course --ServerApp.open_browser=$${OPEN_BROWSER:-True} \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: setup browser-packages hub-packages
	$(BIN)/python -m pytest -m "not slow"

# The other toolchain: toolchains/debian.sh builds a Debian root once (debootstrap); `make setup`
# installs that release's packages in it, then the suite runs in a copy of this checkout with a
# network of its own (loopback only), so it can run beside `make test` on the host.
test-trixie test-bookworm: test-%:
	toolchains/debian.sh $* run make setup browser-packages hub-packages
	toolchains/debian.sh $* run --offline make test

# The suite without the browser tests, for a quick loop while working on the kernel or the grader.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not e2e"

bench: setup
	$(BIN)/python bench/kernel_bench.py

clean:
	rm -rf $(VENV) build *.egg-info
