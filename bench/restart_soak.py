"""Restarts one Elixir kernel many times as JupyterLab does (kernel_info on the shell and the
control channel at once after each start), runs a cell after each, and reports failures and
times, beside the IPython kernel restarted the same way in the same run (the baseline).
`make test` restarts 10 times (tests/kernel/test_lifecycle.py); this soaks.

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


def soak(kernel_name: str, restarts: int, one_vm: bool) -> tuple[list[float], list, list]:
    """Restart times, failures, and processes left after the final shutdown."""
    kernel = MarkedKernel(kernel_name)
    times, failures = [], []
    try:
        kernel.kc.wait_for_ready(timeout=60)  # a restart before the first start ends kills Python mid-start
        for attempt in range(restarts):
            started = time.monotonic()
            kernel.km.restart_kernel(now=False)
            replies = kernel.kernel_info_on_both_channels()
            result = kernel.run("1 + 1")["result"] if replies == {"shell": "ok", "control": "ok"} else None
            times.append(time.monotonic() - started)
            if result != "2" or (one_vm and len(kernel.vms()) != 1):
                failures.append((attempt, replies, result, kernel.processes()))
        kernel.km.shutdown_kernel(now=False)
        time.sleep(1)
        leftover = kernel.processes()
    finally:
        kernel.close()
    return times, failures, leftover


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restarts", type=int, default=100)
    args = parser.parse_args()
    times, failures, leftover = soak("elixir", args.restarts, one_vm=True)
    baseline, _, _ = soak("python3", max(args.restarts // 5, 5), one_vm=False)
    print(f"restarts: {args.restarts}, failed: {len(failures)}, processes left after shutdown: {len(leftover)}")
    print(f"restart to first result: elixir median {statistics.median(times):.2f} s (max {max(times):.2f} s), "
          f"IPython median {statistics.median(baseline):.2f} s: {statistics.median(times) / statistics.median(baseline):.2f}x")
    for failure in failures[:5]:
        print("  failed:", failure)
    return 1 if failures or leftover else 0


if __name__ == "__main__":
    sys.exit(main())
