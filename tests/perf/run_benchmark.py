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
benchmark's own SECRET_KEY) and the per-number limit (3 a day: numbers cycle through the Ofcom drama
range 07700 900000-900999, so at most 3,000 submissions per run are accepted). The per-client limit
(10 an hour per address) is met honestly by giving every submission its own client address: wrk
sends to an nginx reverse proxy that binds each upstream connection to a distinct 127.x.y.z address
(`proxy_bind`), so the app counts and stores every submission. `--callback-via direct` loads the app
without the proxy instead; that only measures accepted submissions if the per-client limit has been
raised for the test (every submission then comes from 127.0.0.1).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")
CARD_PATH = "/en/"
DIRECTORY_PATH = "/en/help?need=pressured&area=LU1"
API_PATH = "/api/v1/services?per_page=10"
CALLBACK_PATH = "/en/callback"
DRAMA_NUMBERS = 1000  # 07700 900000-900999
PER_NUMBER_PER_DAY = 3  # app/routes/callback.py PER_NUMBER
CALLBACK_BUDGET = DRAMA_NUMBERS * PER_NUMBER_PER_DAY

# Targets from issue 8.
CARD_SHARE_OF_NGINX = 0.80
CARD_P99_MS = 25.0
PAGES_PER_SECOND = 1000.0
CALLBACKS_PER_SECOND = 200.0
LISTINGS_CHANGE = 0.20

STATS_LUA = r"""
-- Print one parseable line when the run ends (wrk calls done() once, after all threads stop).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%.0f,"p90_us":%.0f,' ..
    '"p99_us":%.0f,"max_us":%.0f,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read, e.write,
    e.status, e.timeout))
end
"""

CALLBACK_LUA = r"""
-- Callback submissions: each request has its own number slot and its own client address.
-- Slot k uses drama number 07700 900000 + (k mod 1000) and client address 127.(10+k/65536).x.y,
-- so numbers are reused round-robin (3 a day are accepted) and no address is used twice.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1])
  token = args[2]
  sent, accepted, limited, other = 0, 0, 0, 0
  others = {}
  refs = {}
end

function request()
  local k = sent * nthreads + id
  sent = sent + 1
  local body = "phone=07700" .. string.format("%06d", 900000 + k % 1000) ..
    "&name=&best_time=today&need=pressured&area=LU1&call_lang=en&text_ok=yes&say_who=no" ..
    "&started=" .. token .. "&website="
  local source = string.format("127.%d.%d.%d", 10 + math.floor(k / 65536),
    math.floor(k / 256) % 256, k % 256)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Bench-Source"] = source,
  }, body)
end

function response(status, headers, body)
  if status == 303 then
    accepted = accepted + 1
    local location = headers["location"] or headers["Location"] or ""
    table.insert(refs, string.match(location, "ref=(%w+)") or "?")
  elseif status == 429 then
    limited = limited + 1
  else
    other = other + 1
    others[status] = (others[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local a, l, o, codes, references = 0, 0, 0, {}, {}
  for _, thread in ipairs(threads) do
    for _, ref in ipairs(thread:get("refs")) do
      table.insert(references, ref)
    end
    a = a + thread:get("accepted")
    l = l + thread:get("limited")
    o = o + thread:get("other")
    for status, n in pairs(thread:get("others")) do
      codes[status] = (codes[status] or 0) + n
    end
  end
  local other_codes = {}
  for status, n in pairs(codes) do
    table.insert(other_codes, string.format('"%d":%d', status, n))
  end
  io.write("REFS " .. table.concat(references, ",") .. "\n")
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%.0f,"p90_us":%.0f,' ..
    '"p99_us":%.0f,"max_us":%.0f,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"accepted":%d,"limited":%d,"other":%d,"other_codes":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read, e.write,
    e.status, e.timeout, a, l, o, table.concat(other_codes, ",")))
end
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- processes: tree, memory and CPU from /proc --------------------------------------------------


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


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def database_pids(database: str) -> list[int]:
    """PostgreSQL's processes working for `database`: its backends, the postmaster that forks
    them and the shared helpers (WAL writer, checkpointer...); not other databases' backends."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            words = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").split()
            if words[:1] and words[0].endswith(b"/postgres"):
                pids.append(int(proc.name))  # the postmaster
            elif words[:1] == [b"postgres:"]:
                # "postgres: 15/main: postgres card_perf 127.0.0.1(39650) idle" is a backend;
                # "postgres: 15/main: walwriter" a helper.
                backend = len(words) > 4 and (b"(" in words[4] or words[4] == b"[local]")
                if not backend or words[3] == database.encode():
                    pids.append(int(proc.name))
    return pids


def all_cpu_seconds() -> dict[int, tuple[str, float]]:
    """CPU seconds of every process, keyed by pid, with its start time (pids are reused)."""
    times = {}
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            fields = proc.joinpath("stat").read_text().rpartition(")")[2].split()
            times[int(proc.name)] = (fields[19], (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return times


def machine_busy_seconds() -> float:
    """CPU seconds spent not idle, over all cores, since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK


def busy_share(seconds: float = 2.0) -> float:
    """Share of all CPUs busy over the next `seconds` (whoever uses them)."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / (seconds * (os.cpu_count() or 1))


def wait_for_quiet(limit: float, threshold: float = 0.25) -> float:
    """Wait up to `limit` seconds for the machine to be mostly idle; return the last busy share."""
    deadline = time.monotonic() + limit
    said = 0.0
    while True:
        share = busy_share()
        if share <= threshold or time.monotonic() >= deadline:
            return share
        if time.monotonic() - said > 15:
            log(f"the machine is {share:.0%} busy with other work; waiting up to {limit:.0f} s")
            said = time.monotonic()


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


# --- the service ---------------------------------------------------------------------------------


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
            "PUBLIC_BASE_URL": self.base,
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
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


# --- nginx: the static baseline and the callback proxy -------------------------------------------

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


# --- wrk -----------------------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    error_detail: str = ""
    rss_mib: float = 0.0
    other_cpu: float = 0.0  # share of the machine used by other programs during the load
    ratio: float | None = None  # of the nginx baseline
    extra: dict[str, Any] = field(default_factory=dict)


class RssSampler(threading.Thread):
    """Peak of the summed VmRSS of a process tree, sampled while a load runs."""

    def __init__(self, root_pid: int) -> None:
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.peak = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.peak = max(self.peak, rss_kib(process_tree(self.root_pid)))
            self.stopping.wait(0.2)

    def finish(self) -> int:
        self.stopping.set()
        self.join()
        self.peak = max(self.peak, rss_kib(process_tree(self.root_pid)))
        return self.peak


@dataclass
class Load:
    wrk: str
    scripts: Path
    threads: int
    connections: int
    timeout: str = "5s"
    database: str = ""  # PostgreSQL database whose server processes count as the service's

    def our_pids(self, roots: list[int]) -> list[int]:
        pids = [pid for root in roots for pid in process_tree(root)]
        return pids + (database_pids(self.database) if self.database else [])

    def run(
        self,
        target: str,
        url: str,
        seconds: float,
        *,
        server_root: int,
        our_roots: list[int],
        close: bool = False,
        script: str = "stats.lua",
        script_args: list[str] | None = None,
    ) -> Result:
        command = [
            self.wrk,
            *("-t", str(self.threads), "-c", str(self.connections)),
            *("-d", f"{max(1, round(seconds))}s", "--timeout", self.timeout),  # whole seconds
            *("-H", "Accept-Encoding: gzip"),
            *(("-H", "Connection: close") if close else ()),
            *("-s", str(self.scripts / script)),
            url,
        ]
        if script_args:
            command += ["--", *script_args]
        sampler = RssSampler(server_root)
        ours = set(self.our_pids(our_roots))
        cpu_before = all_cpu_seconds()
        sampler.start()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            stdout, stderr = process.communicate(timeout=seconds + 60)
        except BaseException:  # interrupted or stuck: wrk must not outlive the benchmark
            process.kill()
            process.wait()
            sampler.finish()
            raise
        peak = sampler.finish()
        # Other programs: every process alive at the end that is not the service, nginx,
        # PostgreSQL (for the PostgreSQL variant), wrk or this script. Programs that ended
        # during the load are missed: the figure is a lower bound.
        ours |= {*self.our_pids(our_roots), os.getpid()}
        other_seconds = 0.0
        for pid, (started, seconds_used) in all_cpu_seconds().items():
            if pid not in ours:
                before = cpu_before.get(pid)
                other_seconds += seconds_used - (
                    before[1] if before and before[0] == started else 0
                )
        line = next((x for x in stdout.decode().splitlines() if x.startswith("BENCH ")), None)
        if process.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({process.returncode}): {stderr.decode()[-500:]}")
        data = json.loads(line.removeprefix("BENCH "))
        for text in stdout.decode().splitlines():
            if text.startswith("REFS "):
                data["references"] = [ref for ref in text[5:].split(",") if ref]
        elapsed = data["duration_us"] / 1e6
        socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
        detail = ", ".join(
            f"{name} {data[name]}"
            for name in ("connect", "read", "write", "timeout", "status")
            if data[name]
        )
        if data["requests"] == 0:
            # wrk counts a timeout only when a late answer comes; none came at all.
            socket_errors = max(socket_errors, self.connections)
            detail = f"no answer within {seconds:g} s on any of {self.connections} connections"
        other = max(0.0, other_seconds) / (elapsed * (os.cpu_count() or 1))
        return Result(
            target=target,
            requests=data["requests"],
            seconds=elapsed,
            rps=data["requests"] / elapsed,
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            errors=socket_errors + data["status"],
            error_detail=detail,
            rss_mib=peak / 1024,
            other_cpu=other,
            extra={
                k: data[k]
                for k in ("accepted", "limited", "other", "other_codes", "references")
                if k in data
            },
        )


# --- databases -----------------------------------------------------------------------------------


def count_rows(database_url: str, table: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def missing_references(database_url: str, references: list[str]) -> list[str]:
    """The references (from 303 answers) that have no callback_request row."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(database_url)
    query = text("SELECT reference FROM callback_request WHERE reference IN :refs").bindparams(
        bindparam("refs", expanding=True)
    )
    found: set[str] = set()
    try:
        with engine.connect() as connection:
            for start in range(0, len(references), 500):
                chunk = references[start : start + 500]
                found |= {row[0] for row in connection.execute(query, {"refs": chunk})}
    finally:
        engine.dispose()
    return [ref for ref in references if ref not in found]


def add_listings(database_url: str, count: int) -> None:
    """Bulk-insert `count` published listings matching the benchmark's filter (need, LU1)."""
    sys.path.insert(0, str(REPO))
    from sqlmodel import Session

    from app.database import make_engine
    from tests.factories import add_many_services

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            add_many_services(session, count, need="pressured")
    finally:
        engine.dispose()


@contextlib.contextmanager
def postgres_database(admin_url: str, name: str) -> Any:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    import psycopg
    from psycopg import sql

    def run(statement: sql.Composed) -> None:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    run(drop)
    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    host = info.get("host", "127.0.0.1")
    port = info.get("port", "5432")
    try:
        yield f"postgresql+psycopg://{user}{password}@{host}:{port}/{name}"
    finally:
        run(drop)


# --- one variant ---------------------------------------------------------------------------------


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
            if result is callbacks:
                continue  # no static equivalent
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

    token = form_token(service.secret_key, time.time() - 10)  # 10 s old: passes the 3 s check
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
        script_args=[str(args.threads), token],
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
            f"callbacks: {limited} submissions got 429. Numbers come from the 1,000-number drama "
            f"range, 3 a day each ({CALLBACK_BUDGET:,} per run); from one address (direct mode) "
            "the per-client limit is 10 an hour. The req/s figure counts accepted (303) only."
        )
    return result


TARGETS = ("card", "directory", "api", "callbacks", "listings")


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
        help="callback load at most this long (3,000 drama-range submissions a day are accepted)",
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
