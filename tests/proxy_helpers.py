"""Running the shipped proxy configuration (deploy/nginx/nginx.conf) here, with the real nginx.

`derived_config` changes only what cannot be the same on a test machine: the instances'
addresses, the ports it listens on, and file paths (certificate, cache, logs, pid). Each
replacement must match the shipped text exactly once, so an edit of the shipped file that the
test would no longer exercise fails loudly instead. The limits, caching, headers and routing are
the shipped ones. `self_signed_certificate` makes a self-signed certificate for localhost.
"""

import contextlib
import datetime as dt
import ipaddress
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "deploy" / "nginx" / "nginx.conf"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (certificate, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def derived_config(
    shipped: str, prefix: Path, upstreams: list[int], http_port: int, https_port: int
) -> str:
    cert, key = self_signed_certificate(prefix)
    replacements = [
        ("pid /run/nginx.pid;", f"pid {prefix}/nginx.pid;"),
        ("error_log /dev/stderr warn;", f"error_log {prefix}/error.log warn;"),
        ("access_log /dev/stdout card ", f"access_log {prefix}/access.log card "),
        (
            "proxy_cache_path /var/cache/nginx/card ",
            # nginx's temporary files too: the compiled-in paths are the system's.
            f"client_body_temp_path {prefix}/tmp/body;\n"
            f"    proxy_temp_path {prefix}/tmp/proxy;\n"
            f"    fastcgi_temp_path {prefix}/tmp/fastcgi;\n"
            f"    uwsgi_temp_path {prefix}/tmp/uwsgi;\n"
            f"    scgi_temp_path {prefix}/tmp/scgi;\n"
            f"    proxy_cache_path {prefix}/cache ",
        ),
        ("server app1:8000 ", f"server 127.0.0.1:{upstreams[0]} "),
        ("server app2:8000 ", f"server 127.0.0.1:{upstreams[1]} "),
        ("listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;"),
        ("listen [::]:80 default_server;", ""),
        (
            "listen 443 ssl http2 default_server;",
            f"listen 127.0.0.1:{https_port} ssl http2 default_server;",
        ),
        ("listen [::]:443 ssl http2 default_server;", ""),
        ("/etc/letsencrypt/live/card/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/card/privkey.pem", str(key)),
        ("root /var/www/acme;", f"root {prefix}/acme;"),
    ]
    config = shipped
    for old, new in replacements:
        assert config.count(old) == 1, f"the shipped nginx.conf no longer has {old!r} once"
        config = config.replace(old, new)
    if os.geteuid() == 0:
        # Started as root, nginx runs its workers as `nobody`, who cannot enter pytest's
        # private temporary directories to write the cache.
        config = "user root;\n" + config
    return config


@dataclass
class Proxy:
    """The shipped nginx configuration, running from its own prefix directory."""

    binary: str
    prefix: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, upstreams: list[int], http_port: int, https_port: int, also: str = "") -> None:
        """Start nginx; `also`: more locations for the https server (the benchmark's baseline)."""
        for name in ("tmp", "cache", "acme"):
            (self.prefix / name).mkdir(parents=True, exist_ok=True)
        config = derived_config(SHIPPED.read_text(), self.prefix, upstreams, http_port, https_port)
        if also:
            first = "        location / {\n            proxy_pass http://card_app;"
            assert config.count(first) == 1
            config = config.replace(first, also + first)
        conf = self.prefix / "nginx.conf"
        conf.write_text(config)
        checked = subprocess.run(
            [self.binary, "-t", "-q", "-p", str(self.prefix), "-c", str(conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, f"nginx rejects the configuration:\n{checked.stderr}"
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.prefix / "stderr.log").open("ab"),
            start_new_session=True,
        )

    def log(self) -> str:
        parts = []
        for name in ("error.log", "stderr.log"):
            with contextlib.suppress(OSError):
                parts.append((self.prefix / name).read_text(errors="replace"))
        return "\n".join(parts)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
