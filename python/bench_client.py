"""Benchmark of the offline-first client: throughput and how long a store call blocks.

Usage (from python/): STATSTORE_BIN=/path/to/statstore python3 bench_client.py [--iterations N] [--every K]

A DaCapo-style loop: one TrainingIterationStats per iteration appended to a
growing TrainingStats, and store_training_stats(run, stats) with the whole
object every K iterations, into a local `statstore serve` (file store,
fsync on). Scenarios:

  baseline-sync  the same loop, but each store call followed by flush(): the
                 caller waits for the server, as a synchronous client does
  up             the server up
  stopped        the server stopped for the whole run: every call is spooled
  slow           the server behind a proxy that holds each request 2 s
  restarted      the server stopped and started again mid-run

For each: iterations/s of the loop (until the last store call returned)
and end to end (until flush() returned: everything sent, or spooled when
the server is down); the time one store call blocked the caller (p50, p99,
max); and the CPU time spent per 1,000 iterations by the client process
(the loop, the store calls and the sender thread) and by the server, with
the throughput that CPU time allows (iterations / (client + server CPU
seconds)): on a shared, loaded machine wall-clock rates say more about
the other processes than about this code. Blocking is measured, not
asserted: the tests assert correctness only.
"""

import argparse
import gc
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import statstore_client as sc  # noqa: E402
import test_statstore_client as t  # noqa: E402  (Server, DelayProxy)


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))] if xs else float("nan")


def loop(store, run, n, every, sync=False, hook=None):
    """The training loop; returns (loop seconds, end-to-end seconds, blocking times in seconds)."""
    stats = sc.TrainingStats()
    items = stats.iteration_stats
    item = sc.TrainingIterationStats
    blocked = []
    clock = time.perf_counter
    start = clock()
    for i in range(n):
        items.append(item(i, 1.0 / (i + 1), 0.01))  # DaCapo's add_iteration_stats, without its check
        if (i + 1) % every == 0:
            if hook:
                hook(i)
            t0 = clock()
            store.store_training_stats(run, stats)
            if sync:
                store.flush()
            blocked.append(clock() - t0)
    loop_s = clock() - start
    store.flush()
    return loop_s, clock() - start, blocked


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (Linux /proc), or NaN."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def scenario(name, n, every, spool_root):
    server = t.Server()
    box = [server]
    proxy = None
    url = server.url
    hook = None
    try:
        if name == "slow":
            proxy = t.DelayProxy(server.port, 2.0)
            url = proxy.url
        if name == "stopped":
            port = server.port
            server.stop(keep=True)
        if name == "restarted":
            state = {}

            def restart():
                box[0] = box[0].restart()

            def hook(i):
                if i + 1 == (n // 3) // every * every:
                    state["t"] = threading.Thread(target=restart)
                    state["t"].start()

        servers_cpu = [0.0]
        if name == "restarted":
            inner = restart

            def restart():
                servers_cpu[0] += cpu_seconds(box[0].proc.pid)
                inner()

        cpu0, srv0 = time.process_time(), cpu_seconds(box[0].proc.pid)
        spool = os.path.join(spool_root, name)
        store = sc.HttpStatsStore(url, spool_dir=spool, timeout=60, backoff=0.05, max_backoff=0.5, use_dacapo_classes=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sc.SpoolWarning)
            loop_s, total_s, blocked = loop(store, "bench_" + name, n, every, sync=(name == "baseline-sync"), hook=hook)
            if name == "restarted":
                state["t"].join()
                while store.flush():
                    time.sleep(0.05)
            spooled = store.flush()
            store.close()
        client_cpu = time.process_time() - cpu0
        server_cpu = 0.0 if name == "stopped" else servers_cpu[0] + cpu_seconds(box[0].proc.pid) - srv0
        if name == "stopped":
            box[0] = t.Server(store_dir=server.dir, port=port)
        check = sc.HttpStatsStore(box[0].url, spool_dir=os.path.join(spool_root, "check"), use_dacapo_classes=False)
        stored = None if name == "stopped" else check.retrieve_training_stats("bench_" + name).trained_until()
        check.close()
        return {
            "name": name,
            "loop": n / loop_s,
            "total": n / total_s,
            "p50": percentile(blocked, 50),
            "p99": percentile(blocked, 99),
            "max": max(blocked),
            "calls": len(blocked),
            "spooled": spooled,
            "stored": stored,
            "client_cpu": client_cpu,
            "server_cpu": server_cpu,
        }
    finally:
        if proxy:
            proxy.close()
        if box[0].proc.poll() is None:
            box[0].stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iterations", type=int, default=1_000_000)
    ap.add_argument("--every", type=int, default=1000, help="iterations between store calls")
    ap.add_argument("--scenarios", default="baseline-sync,up,stopped,slow,restarted")
    args = ap.parse_args()
    t.setUpModule()
    spool_root = tempfile.mkdtemp(prefix="statstore-bench-spool-")
    try:
        print("statstore client bench: %d iterations, a store call every %d, Python %s" % (args.iterations, args.every, sys.version.split()[0]))
        print("load average before: %.1f on %d CPUs" % (os.getloadavg()[0], os.cpu_count()))
        print(
            "%-14s %10s %10s %8s %8s %8s %6s %8s %10s %10s %11s"
            % ("scenario", "loop it/s", "e2e it/s", "p50 ms", "p99 ms", "max ms", "calls", "stored", "cli ms/1k", "srv ms/1k", "it/CPU-s")
        )
        results = {}
        for name in args.scenarios.split(","):
            gc.collect()
            r = scenario(name, args.iterations, args.every, spool_root)
            results[name] = r
            stored = "spooled" if r["stored"] is None else str(r["stored"])
            n = args.iterations
            print(
                "%-14s %10.0f %10.0f %8.3f %8.3f %8.3f %6d %8s %10.2f %10.2f %11.0f"
                % (
                    name,
                    r["loop"],
                    r["total"],
                    r["p50"] * 1e3,
                    r["p99"] * 1e3,
                    r["max"] * 1e3,
                    r["calls"],
                    stored,
                    r["client_cpu"] / n * 1e6,
                    r["server_cpu"] / n * 1e6,
                    n / (r["client_cpu"] + r["server_cpu"]),
                ),
                flush=True,
            )
        base = results.get("baseline-sync")
        if base:
            for name, r in results.items():
                if name != "baseline-sync":
                    print(
                        "%-14s e2e throughput %.2fx baseline-sync, p99 blocking %.4fx, CPU per iteration %.2fx"
                        % (
                            name,
                            r["total"] / base["total"],
                            r["p99"] / base["p99"],
                            (r["client_cpu"] + r["server_cpu"]) / (base["client_cpu"] + base["server_cpu"]),
                        )
                    )
    finally:
        shutil.rmtree(spool_root, ignore_errors=True)
        t.tearDownModule()


if __name__ == "__main__":
    main()
