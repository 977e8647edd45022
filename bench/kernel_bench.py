"""Kernel speed, measured side by side in one run (timings here are noisy: compare ratios).

    .venv/bin/python bench/kernel_bench.py [--starts 5] [--cells 200]

Prints, for the `elixir` kernel and the IPython kernel (`python3`), both driven through
jupyter_client the same way:
- start to first result: start_kernel -> wait_for_ready -> execute a trivial cell -> reply;
  plus a bare `iex` from spawn to first result, the floor under any Elixir kernel;
- the round trip of a trivial cell (median and p90);
- how long an interrupt takes to stop `Process.sleep(:infinity)` (elixir only).
Targets (issue: the kernel): start <= 1.5x IPython's, per-cell median <= IPython's.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from jupyter_client.manager import KernelManager


def start_to_first_result(kernel_name: str, code: str) -> float:
    began = time.perf_counter()
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    kc.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
    elapsed = time.perf_counter() - began
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return elapsed


def bare_iex_first_result() -> float:
    began = time.perf_counter()
    proc = subprocess.Popen(["iex"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    proc.stdin.write(b"IO.puts(:first_result_marker)\n")
    proc.stdin.flush()
    for line in iter(proc.stdout.readline, b""):
        if b"first_result_marker" in line and b"IO.puts" not in line:
            break
    elapsed = time.perf_counter() - began
    proc.kill()
    proc.wait()
    return elapsed


def cell_round_trips(kernel_name: str, code: str, cells: int) -> list[float]:
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    for _ in range(20):  # warm-up
        kc.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
    times = []
    for _ in range(cells):
        began = time.perf_counter()
        kc.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
        times.append(time.perf_counter() - began)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return times


def interrupt_latency(repeats: int) -> list[float]:
    km = KernelManager(kernel_name="elixir")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    latencies = []
    for _ in range(repeats):
        state = {}

        def hook(msg):
            if msg["msg_type"] == "stream" and "at" not in state:
                state["at"] = time.perf_counter()
                km.interrupt_kernel()

        kc.execute_interactive('IO.puts("go"); Process.sleep(:infinity)', timeout=60, output_hook=hook)
        latencies.append(time.perf_counter() - state["at"])
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return latencies


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--cells", type=int, default=200)
    args = parser.parse_args()

    # Interleaved, so machine load falls on both sides alike.
    starts = {"elixir": [], "python3": [], "iex": []}
    for _ in range(args.starts):
        starts["elixir"].append(start_to_first_result("elixir", "1 + 1"))
        starts["python3"].append(start_to_first_result("python3", "1 + 1"))
        starts["iex"].append(bare_iex_first_result())
    cells = {name: cell_round_trips(name, "1 + 1", args.cells) for name in ("elixir", "python3")}
    interrupts = interrupt_latency(10)

    start = {name: statistics.median(values) for name, values in starts.items()}
    print(f"start to first result (median of {args.starts}):")
    print(f"  elixir kernel   {start['elixir']:.3f} s")
    print(f"  IPython kernel  {start['python3']:.3f} s")
    print(f"  bare iex        {start['iex']:.3f} s")
    print(f"  ratio elixir/IPython: {start['elixir'] / start['python3']:.2f}x (target <= 1.5x)")
    print(f"trivial cell round trip ({args.cells} cells):")
    for name, label in (("elixir", "elixir kernel "), ("python3", "IPython kernel")):
        print(f"  {label}  median {statistics.median(cells[name]) * 1000:.2f} ms   p90 {p90(cells[name]) * 1000:.2f} ms")
    ratio = statistics.median(cells["elixir"]) / statistics.median(cells["python3"])
    print(f"  ratio elixir/IPython (median): {ratio:.2f}x (target <= 1.0x)")
    print(f"interrupt of Process.sleep(:infinity): median {statistics.median(interrupts) * 1000:.0f} ms, "
          f"max {max(interrupts) * 1000:.0f} ms (bound 2000 ms)")


if __name__ == "__main__":
    main()
