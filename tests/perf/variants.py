"""One database variant of the benchmark: every target measured, then checked against issue 8.

`run_variant` starts the service and nginx for one database and measures the card (beside nginx
and the bare ASGI ceiling), the directory, the API, callback submissions and the effect of 5,000
more listings; `check_targets` adds the PASS/MISS lines. Results accumulate in a `Variant`.
"""

from __future__ import annotations

import argparse
import gzip
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.perf.databases import add_listings, count_rows, missing_references
from tests.perf.load import Load, Result, wait_for_quiet
from tests.perf.servers import CARD_PATH, Ceiling, Nginx, Service, fetch, log
from tests.perf.through_proxy import measure_through_proxy

DIRECTORY_PATH = "/en/help?need=pressured&area=LU1"
API_PATH = "/api/v1/services?per_page=10"
CALLBACK_PATH = "/en/callback"
TEST_NUMBERS = 1000  # +1 AAA 555-0100 to 555-0199 in ten area codes (tests/perf/load.py)
PER_NUMBER_PER_DAY = 3  # app/callbacks/requests.py PER_NUMBER
CALLBACK_BUDGET = TEST_NUMBERS * PER_NUMBER_PER_DAY
CALLBACK_TOKENS = 50_000  # one per submission: far more than a run sends

# Targets from issue 8.
CARD_SHARE_OF_NGINX = 0.80
CARD_P99_MS = 25.0
PAGES_PER_SECOND = 1000.0
CALLBACKS_PER_SECOND = 200.0
LISTINGS_CHANGE = 0.20


@dataclass
class Variant:
    name: str
    results: list[Result] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    startup_s: float = 0.0
    load_before: str = ""
    idle_busy: float = 0.0  # share of the CPUs busy just before the loads, service idle


def measure_ceiling(
    measure: Any, workdir: Path, workers: int, gzipped: bytes, headers: dict[str, str]
) -> None:
    """The bare ASGI app under the same server: what any Python app could reach here."""
    ceiling = Ceiling(workdir, workers)
    try:
        ceiling.start(gzipped, headers)
        root = ceiling.process.pid if ceiling.process else 0
        bare = f"http://127.0.0.1:{ceiling.port}{CARD_PATH}"
        measure("ceiling: bare ASGI app, same bytes, keep-alive", bare, root=root)
        measure("ceiling: bare ASGI app, same bytes, new connection", bare, close=True, root=root)
    finally:
        ceiling.stop()


def run_variant(
    variant: Variant,
    database_url: str,
    workdir: Path,
    args: argparse.Namespace,
    tools: dict[str, str],
) -> None:
    """Measure every target for one database; results accumulate in `variant` as they come."""
    name = variant.name
    variant.load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    service = Service(database_url, workdir, args.workers)
    nginx: Nginx | None = None
    try:
        log(f"{name}: starting the service ({args.workers} workers, port {service.port})")
        variant.startup_s = service.start()
        log(f"{name}: ready after {variant.startup_s:.1f} s")
        variant.idle_busy = wait_for_quiet(args.quiet_wait)
        if variant.idle_busy > 0.25:
            log(f"{name}: measuring anyway; {variant.idle_busy:.0%} of the CPUs are busy already")
        status, headers, gzipped = fetch(service.base + CARD_PATH, {"Accept-Encoding": "gzip"})
        if status != 200 or headers.get("content-encoding") != "gzip":
            raise RuntimeError(f"{CARD_PATH} did not answer 200 with gzip: {status} {headers}")
        nginx = Nginx(tools["nginx"], workdir / "nginx", args.workers, service.port)
        nginx.write_site(gzip.decompress(gzipped), gzipped, headers)
        nginx.start()
        _, _, nginx_body = fetch(
            f"http://127.0.0.1:{nginx.static_port}{CARD_PATH}", {"Accept-Encoding": "gzip"}
        )
        # urllib does not decode: nginx must send exactly the app's gzip bytes.
        if nginx_body != gzipped:
            raise RuntimeError("nginx does not serve the same gzip bytes as the app")
        variant.notes.append(
            f"card bytes: {len(gzipped)} gzip, {len(gzip.decompress(gzipped))} raw"
        )

        load = Load(tools["wrk"], workdir.parent / "lua", args.threads, args.connections)
        if name == "postgresql":
            load.database = args.postgres_db
        server_root = service.process.pid if service.process else 0
        nginx_root = nginx.process.pid if nginx.process else 0
        app_roots = [server_root]

        def measure(
            target: str, url: str, *, close: bool = False, root: int = server_root
        ) -> Result:
            roots = app_roots if root == server_root else [root]
            if args.warmup > 0:
                load.run(
                    "warm-up", url, args.warmup, server_root=root, our_roots=roots, close=close
                )
            result = load.run(
                target, url, args.duration, server_root=root, our_roots=roots, close=close
            )
            log(
                f"{name}: {target}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, errors {result.errors}, RSS {result.rss_mib:.0f} MiB"
                f", other programs {result.other_cpu:.0%} CPU"
            )
            variant.results.append(result)
            return result

        static = f"http://127.0.0.1:{nginx.static_port}{CARD_PATH}"
        wanted = args.targets
        nginx_keep = card_keep = nginx_close = card_close = None
        directory = api = callbacks = None
        if "card" in wanted:
            nginx_keep = measure("nginx static card, keep-alive", static, root=nginx_root)
            card_keep = measure("card /en/, keep-alive", service.base + CARD_PATH)
            nginx_close = measure(
                "nginx static card, new connection", static, close=True, root=nginx_root
            )
            card_close = measure("card /en/, new connection", service.base + CARD_PATH, close=True)
            measure_ceiling(measure, workdir, args.workers, gzipped, headers)
        if "proxy" in wanted:
            measure_through_proxy(
                variant.results,
                variant.checks,
                service,
                load,
                workdir,
                args,
                tools["nginx"],
                (gzip.decompress(gzipped), gzipped, headers),
                lambda target, r: log(
                    f"{name}: {target}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.2f} ms,"
                    f" p99 {r.p99_ms:.2f} ms, errors {r.errors}"
                ),
            )
        if "directory" in wanted:
            directory = measure("directory " + DIRECTORY_PATH, service.base + DIRECTORY_PATH)
        if "api" in wanted:
            api = measure("API " + API_PATH, service.base + API_PATH)
        if "callbacks" in wanted:
            callbacks = measure_callbacks(variant, service, nginx, load, args)
        api_big = directory_big = None
        if "listings" in wanted:
            log(f"{name}: adding {args.listings:,} listings")
            started = time.monotonic()
            add_listings(database_url, args.listings)
            log(f"{name}: added in {time.monotonic() - started:.1f} s")
            big = f" (+{args.listings:,} listings)"
            # The API first: renders the directory starts cannot be cancelled, and would disturb it.
            api_big = measure("API" + big, service.base + API_PATH)
            directory_big = measure("directory" + big, service.base + DIRECTORY_PATH)

        for result in variant.results:
            if result is callbacks or result.target.startswith("shipped proxy"):
                continue  # no static equivalent, or compared with the proxy's own static file
            base = nginx_close if "new connection" in result.target else nginx_keep
            result.ratio = result.rps / base.rps if base is not None and base.rps else None
        check_targets(
            variant, nginx_keep, card_keep, nginx_close, card_close, directory, api, callbacks
        )
        if directory is not None and directory_big is not None:
            change = (directory_big.rps - directory.rps) / directory.rps if directory.rps else 1.0
            api_change = ""
            if api is not None and api_big is not None and api.rps:
                api_change = (
                    f"; API {api.rps:,.0f} -> {api_big.rps:,.0f} req/s"
                    f" ({(api_big.rps - api.rps) / api.rps:+.0%})"
                )
            variant.checks.append(
                (
                    f"directory with {args.listings:,} more listings changes by at most 20%",
                    abs(change) <= LISTINGS_CHANGE and directory_big.errors == 0,
                    f"{directory.rps:,.0f} -> {directory_big.rps:,.0f} req/s ({change:+.0%})"
                    + api_change,
                )
            )
    finally:
        if nginx is not None:
            nginx.stop()
        service.stop()
        logged = service.errors_logged()
        if logged:
            variant.notes.append("service log errors: " + "; ".join(logged[:5]))


def measure_callbacks(
    variant: Variant, service: Service, nginx: Nginx, load: Load, args: argparse.Namespace
) -> Result:
    from app.callbacks.form import form_token

    # Each form's token is good for one submission: one each, 10 s old (past the 3 s check).
    tokens = service.workdir / "form-tokens.txt"
    issued = time.time() - 10
    tokens.write_text(
        "".join(form_token(service.secret_key, issued) + "\n" for _ in range(CALLBACK_TOKENS))
    )
    seconds = min(args.duration, args.callback_seconds)
    via_proxy = args.callback_via == "proxy"
    port = nginx.proxy_port if via_proxy else service.port
    before = count_rows(service.database_url, "callback_request")
    roots = [service.process.pid if service.process else 0]
    if via_proxy and nginx.process:
        roots.append(nginx.process.pid)
    result = load.run(
        "callback POST " + CALLBACK_PATH + (" (via proxy)" if via_proxy else ""),
        f"http://127.0.0.1:{port}{CALLBACK_PATH}",
        seconds,
        server_root=roots[0],
        our_roots=roots,
        script="callback.lua",
        script_args=[str(args.threads), str(tokens)],
    )
    time.sleep(2)  # let requests that were in flight when wrk stopped finish
    stored = count_rows(service.database_url, "callback_request") - before
    accepted = int(result.extra.get("accepted", 0))
    limited = int(result.extra.get("limited", 0))
    other = int(result.extra.get("other", 0))
    codes = result.extra.get("other_codes") or {}
    other_text = f"other {other}" + (
        " (" + ", ".join(f"{code}: {n}" for code, n in sorted(codes.items())) + ")" if codes else ""
    )
    references = result.extra.pop("references", [])
    missing = missing_references(service.database_url, references)
    if len(references) != accepted:
        variant.notes.append(f"callbacks: {accepted} 303s but {len(references)} references seen")
    # Lost: a 303 (the person saw a reference) whose reference has no row, or fewer rows than 303s.
    lost = max(len(missing), accepted - stored)
    result.extra.update(stored=stored, lost=lost, missing=missing[:10])
    # Rows beyond the 303s: submissions still in flight when wrk stopped (or answered with an
    # error after the row was committed: the service log then shows why).
    result.rps = accepted / result.seconds  # accepted submissions per second
    # A 429 means a limit turned the submission away: that is not an error of the service, but
    # the figure then no longer measures stored submissions, so it is reported beside it.
    result.errors -= limited
    result.error_detail = (
        f"303 {accepted}, 429 {limited}, {other_text}; rows stored {stored}"
        f" ({stored - accepted:+} vs 303s: in flight at cut-off, or answered with an error)"
        + (f"; {result.error_detail}" if result.error_detail else "")
    )
    log(
        f"{variant.name}: callbacks: {accepted} accepted (303), {limited} limited (429), "
        f"{other_text}, {stored} rows stored, in {result.seconds:.1f} s"
    )
    variant.results.append(result)
    if limited:
        variant.notes.append(
            f"callbacks: {limited} submissions got 429. Numbers come from 1,000 fictional "
            f"numbers, 3 a day each ({CALLBACK_BUDGET:,} per run); from one address (direct mode) "
            "the per-client limit is 10 an hour. The req/s figure counts accepted (303) only."
        )
    return result


TARGETS = ("card", "proxy", "directory", "api", "callbacks", "listings")


def check_targets(
    variant: Variant,
    nginx_keep: Result | None,
    card_keep: Result | None,
    nginx_close: Result | None,
    card_close: Result | None,
    directory: Result | None,
    api: Result | None,
    callbacks: Result | None,
) -> None:
    """Add a PASS/MISS line for each target that was measured."""
    for mode, card, base in (
        ("keep-alive", card_keep, nginx_keep),
        ("new connection per request", card_close, nginx_close),
    ):
        if card is None or base is None:
            continue
        share = card.rps / base.rps if base.rps else 0.0
        variant.checks.append(
            (
                f"card, {mode}: >= 80% of nginx, p99 < 25 ms",
                share >= CARD_SHARE_OF_NGINX and card.p99_ms < CARD_P99_MS and card.errors == 0,
                f"{share:.0%} of nginx ({card.rps:,.0f} vs {base.rps:,.0f} req/s),"
                f" p99 {card.p99_ms:.1f} ms, errors {card.errors}",
            )
        )
    for label, result in (("directory", directory), ("API list", api)):
        if result is None:
            continue
        variant.checks.append(
            (
                f"{label}: >= 1,000 req/s",
                result.rps >= PAGES_PER_SECOND and result.errors == 0,
                f"{result.rps:,.0f} req/s, p99 {result.p99_ms:.1f} ms, errors {result.errors}",
            )
        )
    if callbacks is None:
        return
    lost = int(callbacks.extra.get("lost", 0))
    variant.checks.append(
        (
            "callbacks: >= 200/s, zero lost",
            callbacks.rps >= CALLBACKS_PER_SECOND and lost == 0 and callbacks.errors == 0,
            f"{callbacks.rps:,.0f} accepted/s, lost {lost} (each 303's reference looked up),"
            f" errors {callbacks.errors}, p99 {callbacks.p99_ms:.0f} ms",
        )
    )
