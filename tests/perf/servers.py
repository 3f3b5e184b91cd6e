"""The servers the benchmark starts, and the process helpers they use.

`Service` is `python -m app serve` as in production (named `SERVICE_HOST`); `Nginx` serves the
card's bytes as a static file (the baseline) and proxies callback submissions from distinct client
addresses; `Ceiling` is tests/perf/ceiling_app.py under the same server. Also here: the repository
root, the card path, `log`, `free_port`, `fetch`, and starting/stopping process groups and finding a
process tree.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CARD_PATH = "/en/"
# Production serves only PUBLIC_BASE_URL's host, over https: the service is given this public name
# (.example never resolves) and every request to it says so in its Host header, while it still
# listens on plain http on loopback, as behind a TLS-terminating proxy.
SERVICE_HOST = "card.benchmark.example"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- processes ------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants that are alive now."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if not Path(f"/proc/{current}").exists():
            continue
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]
    return found


def stop_process(process: subprocess.Popen[bytes], name: str, sig: int = signal.SIGTERM) -> None:
    """Stop a process this script started (and its group, which it leads), by its id."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop in 30 s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- the service ----------------------------------------------------------------------------------


@dataclass
class Service:
    """`python -m app serve` as in production, on a free loopback port."""

    database_url: str
    workdir: Path
    workers: int
    port: int = field(default_factory=free_port)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    data_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "serve.log"

    def start(self, timeout: float = 180.0) -> float:
        env = {
            **os.environ,  # anything the caller sets (e.g. a new setting) reaches the service
            "APP_ENV": "production",
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": self.secret_key,
            "DATA_KEY": self.data_key,
            "VAR_DIR": str(self.workdir / "var"),
            "PUBLIC_BASE_URL": f"https://{SERVICE_HOST}",
            # Callback numbers are the North American fictional 555-0100 to 555-0199 (Ofcom's
            # drama range is refused in production): never anyone's phone.
            "CALLBACK_COUNTRIES": "GB,US",
            "PYTHONPATH": str(REPO),
        }
        command = [
            sys.executable,
            *("-m", "app", "serve", "--host", "127.0.0.1"),
            *("--port", str(self.port), "--workers", str(self.workers)),
        ]
        started = time.monotonic()
        with self.log_path.open("ab") as output:
            # The working directory has no .env, so only the settings above apply.
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the service exited ({self.process.returncode}):\n{self.tail()}"
                )
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as answer,
            ):
                if answer.status == 200 and self.workers_started() >= self.workers:
                    return time.monotonic() - started
            time.sleep(0.25)
        raise RuntimeError(f"the service was not ready in {timeout:.0f} s:\n{self.tail()}")

    def workers_started(self) -> int:
        """Workers that finished start-up (each builds the site: it takes seconds)."""
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace").count("Web worker ready")
        return 0

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace").splitlines()
            return "\n".join(text[-lines:])
        return ""

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, "the service")

    def errors_logged(self) -> list[str]:
        """ERROR lines of the service log, counted by message (without the time stamp)."""
        counts: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for line in self.log_path.read_text(errors="replace").splitlines():
                if " ERROR " in line:
                    message = line.split(" ERROR ", 1)[1][:160]
                    counts[message] = counts.get(message, 0) + 1
        return [f"{n} x {message}" for message, n in sorted(counts.items(), key=lambda x: -x[1])]


def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Host": SERVICE_HOST, **headers})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


# --- nginx: the static baseline and the callback proxy --------------------------------------------

SKIP_HEADERS = {
    "date",
    "content-length",
    "content-encoding",
    "content-type",
    "etag",
    "vary",
    "server",
    "connection",
}


@dataclass
class Nginx:
    """nginx with its own prefix: the card bytes as a static file, and a source-binding proxy."""

    binary: str
    prefix: Path
    workers: int
    upstream_port: int
    static_port: int = field(default_factory=free_port)
    proxy_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def write_site(self, identity: bytes, gzipped: bytes, headers: dict[str, str]) -> None:
        html = self.prefix / "html" / CARD_PATH.strip("/")
        html.mkdir(parents=True, exist_ok=True)
        (html / "index.html").write_bytes(identity)
        (html / "index.html.gz").write_bytes(gzipped)  # gzip_static sends these very bytes
        # Same response headers as the app (security headers, Cache-Control), so the bytes on the
        # wire differ only in what each server adds of its own (Date, Server, ETag, ...).
        extra = "\n".join(
            f"        add_header {name} {json.dumps(value)} always;"
            for name, value in headers.items()
            if name not in SKIP_HEADERS
        )
        for name in ("tmp", "logs"):
            (self.prefix / name).mkdir(exist_ok=True)
        config = f"""
            worker_processes {self.workers};
            daemon off;
            pid {self.prefix}/nginx.pid;
            error_log {self.prefix}/logs/error.log warn;
            events {{ worker_connections 4096; }}
            http {{
                access_log off;
                types {{ text/html html; }}
                default_type application/octet-stream;
                charset utf-8;
                sendfile on;
                tcp_nopush on;
                tcp_nodelay on;
                keepalive_timeout 65s;
                keepalive_requests 1000000;
                gzip on;
                gzip_static on;
                gzip_vary on;
                server_tokens off;
                client_body_temp_path {self.prefix}/tmp/body;
                proxy_temp_path {self.prefix}/tmp/proxy;
                fastcgi_temp_path {self.prefix}/tmp/fastcgi;
                uwsgi_temp_path {self.prefix}/tmp/uwsgi;
                scgi_temp_path {self.prefix}/tmp/scgi;
                server {{
                    listen 127.0.0.1:{self.static_port} backlog=4096;
                    root {self.prefix}/html;
                    index index.html;
                    location / {{
        {extra}
                    }}
                }}
                server {{
                    # Callback load: one upstream connection per request, each bound to the
                    # client address wrk chose (X-Bench-Source), so the app sees distinct clients.
                    listen 127.0.0.1:{self.proxy_port} backlog=4096;
                    location / {{
                        proxy_pass http://127.0.0.1:{self.upstream_port};
                        proxy_bind $http_x_bench_source;
                        proxy_set_header X-Bench-Source "";
                        proxy_set_header Host $http_host;
                    }}
                }}
            }}
        """
        (self.prefix / "nginx.conf").write_text(textwrap.dedent(config))
        # Workers may run as "nobody": they must be able to read the site.
        for path in [self.prefix, *self.prefix.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)

    def start(self) -> None:
        conf = self.prefix / "nginx.conf"
        check = subprocess.run(
            [self.binary, "-t", "-q", "-p", str(self.prefix), "-c", str(conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejected its configuration:\n{check.stderr}")
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.prefix), "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.prefix / "logs" / "stderr.log").open("ab"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, urllib.error.URLError):
                fetch(f"http://127.0.0.1:{self.static_port}{CARD_PATH}", {})
                return
            time.sleep(0.1)
        raise RuntimeError("nginx did not answer within 15 s")

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, "nginx", signal.SIGQUIT)


@dataclass
class Ceiling:
    """tests/perf/ceiling_app.py under Granian with the service's worker count."""

    workdir: Path
    workers: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self, gzipped: bytes, headers: dict[str, str]) -> None:
        body, listed = self.workdir / "ceiling-body", self.workdir / "ceiling-headers.json"
        body.write_bytes(gzipped)
        skipped = ("content-length", "date", "server", "connection", "transfer-encoding")
        kept = {k: v for k, v in headers.items() if k not in skipped}
        listed.write_text(json.dumps(kept))
        env = {
            **os.environ,
            "CEILING_BODY": str(body),
            "CEILING_HEADERS": str(listed),
            "PYTHONPATH": str(REPO),
        }
        command = [
            sys.executable,
            *("-m", "granian", "--interface", "asgi", "--no-ws", "--log-level", "warning"),
            *("--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)),
            "tests.perf.ceiling_app:app",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.workdir / "ceiling.log").open("ab"),
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, urllib.error.URLError):
                fetch(f"http://127.0.0.1:{self.port}{CARD_PATH}", {})
                time.sleep(1)  # every worker up
                return
            time.sleep(0.2)
        raise RuntimeError("the ceiling app did not answer within 30 s")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, "ceiling app")
