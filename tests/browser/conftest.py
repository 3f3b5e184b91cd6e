"""Browser tests: the real service in a subprocess, driven by Debian's Chromium through Playwright.

The whole directory is skipped, with the reason, when Chromium or Playwright is missing.
One server and one browser serve the whole session; every test gets a fresh browser context.
Failures leave a full-page screenshot in test-results/.
"""

import os
import signal
import socket
import subprocess
import sys
import time as clock
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.callbacks.form import form_token
from app.settings import PROJECT_ROOT

CHROMIUM = os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS_DIR = PROJECT_ROOT / "test-results"
PASSWORD = "browser-test-password-1"
TEAM = "Duty team"
EXIT_URL = "https://www.bbc.co.uk/weather"
SECRET_KEY = "browser-secret-key-" + "s" * 32
DATA_KEY = "browser-data-key-" + "d" * 32
TIMEOUT_MS = 15_000

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # pragma: no cover - reported as a skip below
    sync_playwright = None  # type: ignore[assignment]


def _skip_reason() -> str | None:
    if sync_playwright is None:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in item.nodeid)[-150:]
        for number, page in enumerate(getattr(item, "browser_pages", [])):
            if page.is_closed():
                continue
            RESULTS_DIR.mkdir(exist_ok=True)
            path = RESULTS_DIR / f"{name}-{number}.png"
            try:
                page.screenshot(path=str(path), full_page=True, timeout=5000)
                report.sections.append(("screenshot", f"{path} ({page.url})"))
            except Exception as error:  # a screenshot must never hide the real failure
                report.sections.append(("screenshot", f"not saved: {error}"))
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    database_url: str
    var_dir: Path
    env: dict[str, str]

    def create_user(self, email: str, role: str, team: str | None = None) -> None:
        args = [sys.executable, "-m", "app", "create-user", "--email", email, "--role", role]
        if team:
            args += ["--team", team]
        subprocess.run(
            args,
            input=PASSWORD + "\n",
            env=self.env,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def request_callback(self, phone: str, lang: str = "en") -> str:
        """A request as the form posts it (with an old enough signed time stamp); its reference."""
        started = form_token(SECRET_KEY, clock.time() - 10)
        response = httpx.post(
            f"{self.url}/{lang}/callback",
            data={
                "started": started,
                "phone": phone,
                "best_time": "today",
                "text_ok": "yes",
                "say_who": "no",
                "call_lang": lang,
            },
            follow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 303, response.text
        return response.headers["location"].rsplit("=", 1)[1]


def _own_postgres_database(base_url: str) -> tuple[str, str]:
    """A new, uniquely named database beside TEST_DATABASE_URL's: (its URL, its name)."""
    name = f"browser_{uuid.uuid4().hex[:12]}"
    url = make_url(base_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(base_url: str, name: str) -> None:
    admin = create_engine(make_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _add_fallback_team(database_url: str) -> None:
    from sqlmodel import Session

    from app.models import Team

    engine = create_engine(database_url)
    with Session(engine) as db:
        # Always working, so the page after sending never depends on the time of day.
        db.add(
            Team(
                name=TEAM,
                is_fallback=True,
                works_byday="MO,TU,WE,TH,FR,SA,SU",
                works_from=time(0),
                works_until=time(23, 59),
            )
        )
        db.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if _skip_reason():
        pytest.skip(_skip_reason() or "")
    tmp = tmp_path_factory.mktemp("browser-server")
    base_pg = os.environ.get("TEST_DATABASE_URL", "")
    pg_name = ""
    if base_pg:
        database_url, pg_name = _own_postgres_database(base_pg)
    else:
        database_url = f"sqlite:///{tmp / 'browser.db'}"
    port = _free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "VAR_DIR": str(tmp / "var"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "DATA_KEY": DATA_KEY,
        "SENDER_IN_SERVE": "false",
        "EXIT_URL": EXIT_URL,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("TEST_DATABASE_URL", None)
    log = (tmp / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a kill below then reaches the server's workers too
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = clock.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {(tmp / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if clock.monotonic() > deadline:
                raise RuntimeError(f"server not ready: {(tmp / 'server.log').read_text()[-3000:]}")
            clock.sleep(0.2)
        server = Server(url=url, database_url=database_url, var_dir=tmp / "var", env=env)
        _add_fallback_team(database_url)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        if pg_name:
            _drop_postgres_database(base_pg, pg_name)


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    if _skip_reason():
        pytest.skip(_skip_reason() or "")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


NewPage = Callable[..., "Page"]


@pytest.fixture
def new_page(browser: "Browser", request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """Open a page in a fresh browser context (its options as keywords); closed after the test."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    request.node.browser_pages = pages

    def open_page(**options: Any) -> "Page":
        settings = {"locale": "en-GB", "viewport": {"width": 1024, "height": 800}, **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> "Page":
    return new_page()


def unique_mobile() -> str:
    """A UK mobile number from Ofcom's drama range, different each call (3 requests/number/day)."""
    return f"07700 900 {next(_MOBILES):03d}"


_MOBILES = iter(range(100, 1000))


STAFF = {
    "admin": "admin@example.org",
    "editor": "editor@example.org",
    "approver": "approver@example.org",
    "caseworker": "caseworker@example.org",
}


@pytest.fixture(scope="session")
def staff(server: Server) -> dict[str, str]:
    """One account per role (the caseworker in the duty team); all share PASSWORD."""
    for role, email in STAFF.items():
        server.create_user(email, role, TEAM if role == "caseworker" else None)
    return STAFF


def sign_in(page: "Page", server: Server, email: str) -> None:
    page.goto(f"{server.url}/admin/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{server.url}/admin/")
