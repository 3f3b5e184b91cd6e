"""The load generator: wrk runs, their results, server memory and the CPU other programs use.

`Load` runs one wrk process against a URL and returns a `Result`; `RssSampler` follows the peak
memory of the server's process tree meanwhile. The CPU accounting (from /proc) tells how much of the
machine other programs used during a load, and waits for the machine to be quiet before measuring.
`STATS_LUA` and `CALLBACK_LUA` are the wrk scripts (plain loads, and callback submissions).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.perf.servers import SERVICE_HOST, log, process_tree

CLK_TCK = os.sysconf("SC_CLK_TCK")

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
-- Callback submissions: each request has its own number slot, form token and client address.
-- Slot k uses the fictional number +1 AAA 555 01xx (ten area codes, 100 each: k mod 1000), line
-- k+1 of the tokens file (each form's token is good once) and client address 127.(10+k/65536).x.y,
-- so numbers are reused round-robin (3 a day are accepted) and no token or address twice.
local threads = {}
local next_id = 0
local areas = {"201", "202", "203", "205", "206", "207", "208", "209", "210", "212"}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(args[1])
  tokens = {}
  local line = 0
  for token in io.lines(args[2]) do
    if line % nthreads == id then table.insert(tokens, token) end
    line = line + 1
  end
  sent, accepted, limited, other = 0, 0, 0, 0
  others = {}
  refs = {}
end

function request()
  local k = sent * nthreads + id
  local token = tokens[sent % #tokens + 1]
  sent = sent + 1
  local slot = k % 1000
  local phone = "%2B1" .. areas[math.floor(slot / 100) + 1] .. "555" ..
    string.format("%04d", 100 + slot % 100)
  local body = "phone=" .. phone ..
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


# --- memory and CPU from /proc --------------------------------------------------------------------


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


# --- wrk ------------------------------------------------------------------------------------------


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
        headers: tuple[str, ...] = (),
    ) -> Result:
        own_host = f"Host: {SERVICE_HOST}"
        command = [
            self.wrk,
            *("-t", str(self.threads), "-c", str(self.connections)),
            *("-d", f"{max(1, round(seconds))}s", "--timeout", self.timeout),  # whole seconds
            *("-H", "Accept-Encoding: gzip"),
            # The service answers only its own host name; the proxy runs name theirs.
            *(() if any(h.lower().startswith("host:") for h in headers) else ("-H", own_host)),
            *(option for header in headers for option in ("-H", header)),
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
