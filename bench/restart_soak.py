"""Restarts one Elixir kernel many times as JupyterLab does (kernel_info on the shell and the
control channel at once after each start), runs a cell after each, and reports failures and
times. `make test` restarts 10 times (tests/kernel/test_lifecycle.py); this soaks.

    .venv/bin/python bench/restart_soak.py --restarts 100
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.kernel.test_lifecycle import MarkedKernel  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restarts", type=int, default=100)
    args = parser.parse_args()
    kernel = MarkedKernel()
    times, failures = [], []
    try:
        for attempt in range(args.restarts):
            started = time.monotonic()
            kernel.km.restart_kernel(now=False)
            replies = kernel.kernel_info_on_both_channels()
            result = kernel.run("1 + 1")["result"] if replies == {"shell": "ok", "control": "ok"} else None
            elapsed = time.monotonic() - started
            if result != "2" or len(kernel.vms()) != 1:
                failures.append((attempt, replies, result, kernel.processes()))
            times.append(elapsed)
        leftover = []
        kernel.km.shutdown_kernel(now=False)
        time.sleep(1)
        leftover = kernel.processes()
    finally:
        kernel.close()
    print(f"restarts: {args.restarts}, failed: {len(failures)}, processes left after shutdown: {len(leftover)}")
    print(f"restart to first result: median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    for failure in failures[:5]:
        print("  failed:", failure)
    return 1 if failures or leftover else 0


if __name__ == "__main__":
    sys.exit(main())
