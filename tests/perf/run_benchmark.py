#!/usr/bin/env python3
"""Performance benchmark: the service as in production, loaded by wrk, beside an nginx baseline.

Run from the repository root with the project's virtual environment (see README "Performance"):

    .venv/bin/python tests/perf/run_benchmark.py            # SQLite and PostgreSQL
    .venv/bin/python tests/perf/run_benchmark.py --variants sqlite --duration 5

For each database variant it starts `python -m app serve --workers N` with APP_ENV=production on a
fresh, migrated database and a free loopback port, starts nginx (own prefix in a temporary
directory) serving the very bytes the app sends for /en/ as a static file, and loads each target
from a separate wrk process. It reports requests/s, p50/p99 latency, errors, peak server RSS and the
CPU used by other programs on the machine during each load, and prints PASS/MISS for the targets of
issue 8. It is a benchmark, not a test: the exit status is 0 whatever the figures (2 when wrk or
nginx is missing). It installs nothing, talks only to 127.0.0.0/8 and removes everything it made.

Callback submissions pass the form's real bot checks (a signed `started` token made with the
benchmark's own SECRET_KEY, a new one for each submission: each is good once) and the per-number
limit (3 a day: numbers cycle through 1,000 fictional North American numbers, 555-0100 to 555-0199
in ten area codes, as Ofcom's drama range is refused in production; so at most 3,000 submissions per
run are accepted). The service's PUBLIC_BASE_URL is https://card.benchmark.example and every request
carries that Host header (production answers no other host). The per-client limit
(10 an hour per address) is met honestly by giving every submission its own client address: wrk
sends to an nginx reverse proxy that binds each upstream connection to a distinct 127.x.y.z address
(`proxy_bind`), so the app counts and stores every submission. `--callback-via direct` loads the app
without the proxy instead; that only measures accepted submissions if the per-client limit has been
raised for the test (every submission then comes from 127.0.0.1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: find `tests.perf`

from tests.perf.databases import postgres_database
from tests.perf.load import CALLBACK_LUA, STATS_LUA
from tests.perf.servers import REPO, log
from tests.perf.variants import TARGETS, Variant, run_variant

# --- report --------------------------------------------------------------------------------------


def code_version() -> str:
    """The commit measured, and whether the working tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "app"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {commit}" + (" with uncommitted changes in app/" if changed else "")


def report(variants: list[Variant], args: argparse.Namespace, started: float) -> str:
    lines = [
        "",
        f"Benchmark {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {code_version()}: "
        f"{os.cpu_count()} CPUs, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
        f"serve --workers {args.workers}, nginx worker_processes {args.workers}, "
        f"took {time.monotonic() - started:.0f} s",
    ]
    for variant in variants:
        lines += [
            "",
            f"== {variant.name} (service ready in {variant.startup_s:.0f} s;"
            f" load average before: {variant.load_before};"
            f" CPUs busy before the loads: {variant.idle_busy:.0%})",
            f"{'target':<52} {'req/s':>8} {'vs nginx':>8} {'p50 ms':>7} {'p99 ms':>7}"
            f" {'errors':>6} {'RSS MiB':>7} {'other CPU':>9}",
        ]
        for r in variant.results:
            ratio = f"{r.ratio:.0%}" if r.ratio is not None else "-"
            lines.append(
                f"{r.target[:52]:<52} {r.rps:>8,.0f} {ratio:>8} {r.p50_ms:>7.2f} {r.p99_ms:>7.2f}"
                f" {r.errors:>6} {r.rss_mib:>7.0f} {r.other_cpu:>9.0%}"
            )
            if r.error_detail:
                lines.append(f"{'':<4}{r.error_detail}")
        lines.append("")
        for label, passed, detail in variant.checks:
            lines.append(f"{'PASS' if passed else 'MISS'}  {label}: {detail}")
        lines += [f"note: {note}" for note in variant.notes]
    lines += [
        "",
        "RSS: peak sum of VmRSS over the serve process and its workers (nginx rows: nginx's).",
        "other CPU: share of all CPUs used during the load by other programs (not this script,",
        "the service, nginx, wrk or PostgreSQL); above a few % the figures are disturbed.",
        "Exit status 0: this is a benchmark, not a test.",
    ]
    return "\n".join(lines)


def variant_rows(variants: list[Variant]) -> list[dict[str, Any]]:
    return [
        {
            "variant": v.name,
            "startup_s": v.startup_s,
            "results": [r.__dict__ for r in v.results],
            "checks": [{"target": t, "pass": p, "detail": d} for t, p, d in v.checks],
            "notes": v.notes,
        }
        for v in variants
    ]


def find_tools() -> dict[str, str]:
    tools, missing = {}, []
    for name in ("wrk", "nginx"):
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if path:
            tools[name] = path
        else:
            missing.append(name)
    if missing:
        print(
            f"error: {' and '.join(missing)} not found; install with "
            f"`apt-get install -y {' '.join(missing)}` (the benchmark installs nothing itself)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return tools


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--duration", type=int, default=10, help="seconds per target")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured seconds first (0: none)")
    parser.add_argument(
        "--callback-seconds",
        type=int,
        default=8,
        help="callback load at most this long (3,000 submissions a day are accepted)",
    )
    parser.add_argument("--callback-via", choices=["proxy", "direct"], default="proxy")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--listings", type=int, default=5000)
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get(
            "PERF_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a database to connect to for CREATE/DROP DATABASE",
    )
    parser.add_argument("--postgres-db", default="card_perf", help="created and dropped")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="wait up to this long for other work on the machine to stop before measuring",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help=f"comma-separated, from {', '.join(TARGETS)} (listings: add 5,000 and re-measure"
        " the directory and API)",
    )
    args = parser.parse_args(argv)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not args.targets or not set(args.targets) <= set(TARGETS):
        parser.error(f"--targets takes {', '.join(TARGETS)}")
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not set(args.variants) <= {"sqlite", "postgresql"} or not args.variants:
        parser.error("--variants takes sqlite and/or postgresql")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = find_tools()
    sys.path.insert(0, str(REPO))
    started = time.monotonic()

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)  # also when started with SIGINT ignored
    root = Path(tempfile.mkdtemp(prefix="card-perf-"))
    root.chmod(0o755)  # nginx workers (nobody) read the static file below it
    (root / "lua").mkdir()
    (root / "lua" / "stats.lua").write_text(STATS_LUA)
    (root / "lua" / "callback.lua").write_text(CALLBACK_LUA)
    variants: list[Variant] = []
    try:
        load = os.getloadavg()[0]
        if load > 0.5:
            log(f"warning: load average {load:.1f} before starting: other work will skew figures")
        for name in args.variants:
            workdir = root / name
            workdir.mkdir()
            variant = Variant(name)
            variants.append(variant)
            try:
                if name == "sqlite":
                    url = f"sqlite:///{workdir / 'var' / 'bench.db'}"
                    run_variant(variant, url, workdir, args, tools)
                else:
                    with postgres_database(args.postgres_admin_url, args.postgres_db) as url:
                        run_variant(variant, url, workdir, args, tools)
            except KeyboardInterrupt:
                raise
            except Exception as error:
                log(f"{name}: stopped: {type(error).__name__}: {error}")
                variant.notes.append(f"stopped early: {type(error).__name__}: {error}")
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(report(variants, args, started))
    if args.json:
        args.json.write_text(json.dumps(variant_rows(variants), indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
