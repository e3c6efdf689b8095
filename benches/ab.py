#!/usr/bin/env python3
"""Alternating A/B runs of the load benchmark's c=32 points: is gateway B slower than A?

One run of the load benchmark on this kind of VM can be 1.6x off the next, so a single
before/after pair says little. This runs the two gateways in turn, A B A B ..., each run with
its own direct HTTP backend measured in the same run, and compares them pair by pair: per pair,
B's CPU per call over A's, and each run's throughput over its own direct backend. It prints the
medians with a distribution-free 95% interval (order statistics of the pairs), so "no worse
beyond noise" is a reading, not a guess: an interval that holds 1.0 is noise.

    cargo build --release -p mcpmux -p mcpmux-bench
    python3 benches/ab.py --a OLD_BIN --b target/release/mcpmux --pairs 10 --pin

`--pin` (see the load benchmark) gives each gateway a CPU of its own and narrows the spread.
A binary older than the `[admin]` section (f3824e0) refuses the generated config: pass
`--a-without-admin` to take those lines out for A. The stdio backend is each gateway binary's
own `example-server` unless `--stdio-server BIN` starts both from one binary, which compares
the gateways alone. Each pair takes about 50 s.
"""

import argparse
import math
import os
import stat
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATHS = {
    "http": "HTTP backend, via mcpmux",
    "stdio": "stdio backend, via mcpmux",
}
DIRECT = "HTTP backend, direct"

# A wrapper around a gateway binary: the benchmark calls `BIN start --config FILE` for the
# gateway and `BIN example-server` for its stdio backend. It can take the `[admin]` lines out of
# the config (for gateways that predate that section) and start the stdio backend from another
# binary (so that two gateways are compared in front of the same example server).
WRAPPER = """#!/bin/sh
if [ "$1" = start ] && [ "$2" = --config ] && [ "{without_admin}" = yes ]; then
    grep -v -e '^\\[admin\\]' -e '^listen = ' -e '^hot_reload' "$3" > "$3.without-admin.toml"
    exec "{bin}" start --config "$3.without-admin.toml"
fi
if [ "$1" = example-server ]; then
    exec "{server}" "$@"
fi
exec "{bin}" "$@"
"""


def run_once(bench, gateway, args):
    """{row label: (req/s, gateway CPU us/call or None)} of one c=32 run."""
    command = [
        bench, "--mcpmux", gateway,
        "--paths", "http-direct,http-gateway,stdio-gateway",
        "--concurrency", "32", "--duration", str(args.duration),
        "--skip", "lists,memory,soak",
    ] + (["--pin"] if args.pin else [])
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{out.stderr[-2000:]}")
    rows = {}
    for line in out.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 7 and cells[1] == "32":
            cpu, backend = (None if c in ("—", "-") else float(c) for c in cells[6:8])
            rows[cells[0]] = (float(cells[2]), cpu, backend)
    for label in list(PATHS.values()) + [DIRECT]:
        if label not in rows:
            sys.exit(f"no c=32 row `{label}` in the benchmark's output:\n{out.stdout[-2000:]}")
    return rows


def median_interval(values):
    """(median, low, high): the median and a distribution-free interval of at least 95%
    (below six values no such interval exists: then the range, which covers less)."""
    xs = sorted(values)
    n = len(xs)
    # The largest k with P(Binomial(n, 1/2) < k) <= 2.5%: [x_k, x_(n+1-k)] covers the median.
    k, below = 0, 0.0
    while k < n and below + math.comb(n, k) / 2**n <= 0.025:
        below += math.comb(n, k) / 2**n
        k += 1
    if k == 0:
        return statistics.median(xs), xs[0], xs[-1]
    return statistics.median(xs), xs[k - 1], xs[n - k]


def wrapper(directory, side, binary, without_admin, server):
    path = os.path.join(directory, f"{side}.sh")
    with open(path, "w") as f:
        f.write(WRAPPER.format(bin=os.path.abspath(binary),
                               without_admin="yes" if without_admin else "no",
                               server=os.path.abspath(server or binary)))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", required=True, help="the baseline gateway binary")
    parser.add_argument("--b", default=os.path.join(ROOT, "target/release/mcpmux"))
    parser.add_argument("--bench", default=os.path.join(ROOT, "target/release/mcpmux-bench"))
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--duration", type=int, default=4, help="seconds per point")
    parser.add_argument("--pin", action="store_true")
    parser.add_argument("--a-without-admin", action="store_true",
                        help="A predates the [admin] section: remove it from A's config")
    parser.add_argument("--stdio-server", metavar="BIN",
                        help="start both gateways' stdio backend as `BIN example-server` "
                             "(default: each gateway's own binary)")
    args = parser.parse_args()
    if args.pairs < 6:
        print("fewer than 6 pairs: the intervals below are the range of the pairs and cover "
              "less than 95%", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="mcpmux-ab-") as tmp:
        a = wrapper(tmp, "a", args.a, args.a_without_admin, args.stdio_server)
        b = wrapper(tmp, "b", args.b, False, args.stdio_server)
        runs = {"a": [], "b": []}
        for pair in range(args.pairs):
            for side, gateway in (("a", a), ("b", b)):
                runs[side].append(run_once(args.bench, gateway, args))
            print(f"pair {pair + 1}/{args.pairs}", file=sys.stderr)

    server = f"\nstdio backend of both: {args.stdio_server} example-server" if args.stdio_server else ""
    print(f"A = {args.a}\nB = {args.b}{server}\n{args.pairs} alternating pairs of {args.duration} s points "
          f"at c=32{', pinned' if args.pin else ''}; medians, [95% interval]\n")
    print("| c=32 | A | B | B / A per pair |")
    print("|---|---:|---:|---:|")
    for name, label in PATHS.items():
        cpu = {s: [r[label][1] for r in runs[s]] for s in runs}
        ratio = {s: [r[label][0] / r[DIRECT][0] for r in runs[s]] for s in runs}
        per_pair_cpu = [b / a for a, b in zip(cpu["a"], cpu["b"])]
        per_pair_ratio = [b / a for a, b in zip(ratio["a"], ratio["b"])]
        m, lo, hi = median_interval(per_pair_cpu)
        print(f"| gateway CPU per call, {name} backend (µs) | {statistics.median(cpu['a']):.1f} | "
              f"{statistics.median(cpu['b']):.1f} | {m:.3f} [{lo:.3f}, {hi:.3f}] |")
        m, lo, hi = median_interval(per_pair_ratio)
        print(f"| throughput via mcpmux / direct HTTP, {name} backend | "
              f"{statistics.median(ratio['a']):.3f} | {statistics.median(ratio['b']):.3f} | "
              f"{m:.3f} [{lo:.3f}, {hi:.3f}] |")
        # The backend's CPU per call moves the throughput too: the stdio backend is the tested
        # binary's own example server unless --stdio-server names one for both.
        backend = {s: [r[label][2] for r in runs[s]] for s in runs}
        m, lo, hi = median_interval([b / a for a, b in zip(backend["a"], backend["b"])])
        print(f"| backend CPU per call, {name} backend (µs) | "
              f"{statistics.median(backend['a']):.1f} | {statistics.median(backend['b']):.1f} | "
              f"{m:.3f} [{lo:.3f}, {hi:.3f}] |")


if __name__ == "__main__":
    main()
