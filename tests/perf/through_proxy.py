"""The "through the proxy" rows: the card through the shipped nginx configuration
(deploy/nginx/nginx.conf, TLS, its page cache) beside the same nginx serving the card's bytes as a
static file, both over TLS with keep-alive. Target (issue 17): >= 90 % of the static file, p99 <
25 ms. The configuration is derived as tests/test_proxy_deploy.py derives it (own ports and
paths), with one more location for the static baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.perf.load import Load, Result
from tests.perf.servers import CARD_PATH, SERVICE_HOST, SKIP_HEADERS, Service, free_port, log
from tests.proxy_helpers import Proxy

STATIC_PATH = "/bench-static/index.html"
SHARE_OF_STATIC = 0.90
P99_MS = 25.0


def static_location(root: Path, headers: dict[str, str]) -> str:
    extra = "\n".join(
        f"            add_header {name} {json.dumps(value)} always;"
        for name, value in headers.items()
        if name not in SKIP_HEADERS
    )
    return (
        "        location /bench-static/ {\n"
        f"            root {root};\n"
        "            gzip_static on;\n"
        "            types { text/html html; }\n"
        f"{extra}\n"
        "        }\n"
    )


def measure_through_proxy(
    results: list[Result],
    checks: list[tuple[str, bool, str]],
    service: Service,
    load: Load,
    workdir: Path,
    args: argparse.Namespace,
    nginx_binary: str,
    card: tuple[bytes, bytes, dict[str, str]],
    measured: Callable[[str, Result], None],
) -> None:
    identity, gzipped, headers = card
    static = workdir / "proxy-static" / "bench-static"
    static.mkdir(parents=True)
    (static / "index.html").write_bytes(identity)
    (static / "index.html.gz").write_bytes(gzipped)
    proxy = Proxy(nginx_binary, workdir / "proxy")
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    # The app answers its PUBLIC_BASE_URL's host only: the service's own.
    host = f"Host: {SERVICE_HOST}"
    try:
        proxy.start(
            [service.port, service.port],
            free_port(),
            port,
            also=static_location(static.parent, headers),
        )
        context = ssl.create_default_context(cafile=proxy.prefix / "fullchain.pem")
        context.check_hostname = False
        deadline = time.monotonic() + 15
        while True:
            request = urllib.request.Request(
                base + CARD_PATH, headers={"Accept-Encoding": "gzip", "Host": host[6:]}
            )
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(request, context=context, timeout=5) as answer,
            ):
                if answer.read() == gzipped:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the shipped proxy does not serve the card:\n{proxy.log()}")
            time.sleep(0.2)
        roots = [proxy.process.pid if proxy.process else 0]
        ours = [*roots, service.process.pid if service.process else 0]
        rows = []
        for target, url in (
            ("shipped proxy: static card file, TLS keep-alive", base + STATIC_PATH),
            ("shipped proxy: card /en/ (its cache), TLS keep-alive", base + CARD_PATH),
        ):
            if args.warmup > 0:
                load.run(
                    "warm-up",
                    url,
                    args.warmup,
                    server_root=roots[0],
                    our_roots=ours,
                    headers=(host,),
                )
            result = load.run(
                target,
                url,
                args.duration,
                server_root=roots[0],
                our_roots=ours,
                headers=(host,),
            )
            measured(target, result)
            results.append(result)
            rows.append(result)
        static_row, card_row = rows
        share = card_row.rps / static_row.rps if static_row.rps else 0.0
        card_row.ratio = share
        checks.append(
            (
                "card through the shipped proxy: >= 90% of the proxy's static file, p99 < 25 ms",
                share >= SHARE_OF_STATIC and card_row.p99_ms < P99_MS and card_row.errors == 0,
                f"{share:.0%} ({card_row.rps:,.0f} vs {static_row.rps:,.0f} req/s),"
                f" p99 {card_row.p99_ms:.1f} ms, errors {card_row.errors}",
            )
        )
    finally:
        proxy.stop()
        log(f"proxy log tail: {proxy.log()[-300:]!r}" if proxy.log().strip() else "proxy stopped")
