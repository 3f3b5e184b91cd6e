"""Command line: `python -m app serve | migrate | worker | content-check | check | import-services |
create-user | rotate-data-key | translations export` (see `python -m app --help`, or the README's
table of commands)."""

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from app.admin.roles import ROLES
from app.logs import LogFormat, formatter_config, use_format
from app.settings import ConfigurationError, Settings, development_base_url, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.directory.files import NeedsFile, ServiceFile


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see python -m app --help)\n")


def _fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def _logging_config(log_format: LogFormat = "text") -> dict[str, object]:
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": formatter_config(log_format),
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": "INFO"},
        # Granian's own access log prints client addresses; ours (app.access) does not.
        "loggers": {
            "_granian": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "granian.access": {"level": "CRITICAL", "propagate": False},
            "alembic": {"level": "WARNING"},
        },
    }


def serve(settings: Settings, args: argparse.Namespace) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    from app.content import load_content
    from app.database import make_engine, migrate

    content = load_content(settings.content_dir)
    if content.problems:
        _fail(f"content has {len(content.problems)} problem(s), first: {content.problems[0]}")
    engine = make_engine(settings.database_url)
    migrate(engine)
    _seed_directory(settings, engine)
    engine.dispose()
    if not settings.public_base_url_given:
        # The workers read their settings from the environment: links then lead to this server.
        os.environ["PUBLIC_BASE_URL"] = development_base_url(args.host, args.port)
        logging.getLogger(__name__).info("Links use %s", os.environ["PUBLIC_BASE_URL"])
    # Granian (HTTP in Rust) serves the cached card pages about twice as fast as uvicorn here.
    Granian(
        "app.main:create_app",
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        websockets=False,
        log_dictconfig=_logging_config(settings.log_format),
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=30,
    ).serve()


def _read_listings(settings: Settings) -> tuple["NeedsFile", list["ServiceFile"]]:
    from app.directory.files import ListingFileError, read_listing_files

    try:
        return read_listing_files(settings.content_dir / "services")
    except ListingFileError as error:
        problems = str(error).splitlines()
        _fail(f"{len(problems)} listing file problem(s), first: {problems[0]}")


def _seed_directory(settings: Settings, engine: "Engine") -> None:
    from sqlmodel import Session

    from app.directory.importer import load_listings_if_empty

    needs, listings = _read_listings(settings)
    with Session(engine) as session:
        if load_listings_if_empty(session, needs, listings):
            session.commit()
            logging.getLogger(__name__).info(
                "Loaded %d listings into the empty directory", len(listings)
            )


def import_services(settings: Settings, args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from app.database import make_engine, migrate
    from app.directory.importer import import_listings

    needs, listings = _read_listings(settings)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as session:
        report = import_listings(session, needs, listings)
        session.commit()
        print(report.summary())


def create_user_command(settings: Settings, args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from app.admin.audit import record
    from app.admin.users import AccountError, create_user, reviewer_languages
    from app.content import load_content
    from app.database import make_engine, migrate
    from app.models import utcnow

    password = sys.stdin.readline().rstrip("\n")
    if not password:
        _fail("give the password on standard input, e.g. `python -m app create-user ... < file`")
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as db:
        try:
            codes = [code.strip() for code in args.languages.split(",") if code.strip()]
            translated = [
                code for code in load_content(settings.content_dir).languages if code != "en"
            ]
            languages = reviewer_languages(args.role, codes, translated)
            user = create_user(db, args.email, args.role, password, args.team, languages=languages)
        except AccountError as error:
            _fail(str(error))
        record(
            db,
            "create",
            at=utcnow(),
            entity="user",
            entity_id=user.id,
            detail=f"{user.role} created by create-user",
        )
        db.commit()
        print(f"created {user.role} {user.email}")


def rotate_data_key(settings: Settings, args: argparse.Namespace) -> None:
    from app.database import make_engine, migrate
    from app.key_rotation import ENCRYPTED, Tally, rotate_batch
    from app.security import DataCipher

    assert settings.data_key is not None  # load_settings fills it or refuses to start
    cipher = DataCipher(settings.data_key.get_secret_value())
    engine = make_engine(settings.database_url)
    migrate(engine)
    tally = Tally()
    with engine.connect() as connection:
        for kind in ENCRYPTED:
            after: int | None = 0
            while after is not None:
                after = rotate_batch(connection, cipher, kind, after, args.batch_size, tally)
                connection.commit()
    print(tally.summary())
    for value in tally.unreadable:
        print(f"could not be read with any key in DATA_KEY: {value}", file=sys.stderr)
    if tally.unreadable:
        raise SystemExit(1)


def run_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from app.database import make_engine, migrate

    migrate(make_engine(settings.database_url), args.revision)
    print(f"database is at migration {args.revision}")


def worker(settings: Settings, args: argparse.Namespace) -> None:
    from app.sms.worker import run_worker

    run_worker(settings, interval=args.interval)


def content_check(settings: Settings, args: argparse.Namespace) -> None:
    from app.content import load_content
    from app.content_report import report
    from app.review.progress import cli_progress

    content = load_content(settings.content_dir)
    print(report(content, cli_progress(settings, content)))
    if content.problems:
        raise SystemExit(1)


def translations(settings: Settings, args: argparse.Namespace) -> None:
    """`translations export --lang ur`: approved corrections into the content files."""
    from sqlmodel import Session

    from app.content import SOURCE_LANGUAGE, load_content
    from app.database import make_engine, migrate
    from app.review.export import export_language

    if (
        args.lang == SOURCE_LANGUAGE
        or args.lang not in load_content(settings.content_dir).languages
    ):
        _fail(
            f"--lang must be the code of a translation in content/languages.yaml, not {args.lang}"
        )
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as db:
        print(f"{args.lang}: {export_language(db, settings.content_dir, args.lang)}")
    engine.dispose()


def check(settings: Settings, args: argparse.Namespace) -> None:
    """Is this install ready for real requests? One line a problem; exit 1 if any is blocking."""
    from sqlmodel import Session

    from app.content import load_content
    from app.database import make_engine, migrate
    from app.readiness import readiness_problems, webhook_urls

    content = load_content(settings.content_dir)
    if content.problems:
        _fail(f"content has {len(content.problems)} problem(s), first: {content.problems[0]}")
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as db:
        problems = readiness_problems(db, settings, content)
    engine.dispose()
    for problem in problems:
        where = f" (admin page: {problem.link})" if problem.link.startswith("/admin") else ""
        print(f"{problem.level}: {problem.message}{where}")
    inbound, status = webhook_urls(settings)
    print(f'Twilio webhook for incoming texts ("A message comes in", HTTP POST): {inbound}')
    print(f"Twilio status callback URL: {status}")
    blocking = sum(problem.blocking for problem in problems)
    if blocking:
        print(f"Not ready: {blocking} blocking problem(s). The admin Readiness page says how.")
        raise SystemExit(1)
    print(f"Ready for real requests ({len(problems)} warning(s)).")


def main(argv: list[str] | None = None) -> None:
    parser = OneLineParser(prog="python -m app", description="The digital consequences card.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    serve_parser = commands.add_parser("serve", help="apply migrations and start the web service")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--workers", type=int, default=1)
    serve_parser.set_defaults(handler=serve)
    migrate_parser = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate_parser.add_argument("--revision", default="head")
    migrate_parser.set_defaults(handler=run_migrate)
    worker_parser = commands.add_parser(
        "worker", help="send queued texts (the SMS outbox) until stopped with SIGTERM or Ctrl-C"
    )
    worker_parser.add_argument(
        "--interval", type=float, default=2.0, help="seconds between looks at the outbox"
    )
    worker_parser.set_defaults(handler=worker)
    check_parser = commands.add_parser("content-check", help="check the content files")
    check_parser.set_defaults(handler=content_check)
    ready_parser = commands.add_parser(
        "check", help="is this install ready for real requests? (exit 1 on a blocking problem)"
    )
    ready_parser.set_defaults(handler=check)
    import_parser = commands.add_parser(
        "import-services", help="load the listing files in content/services/ (upsert by id)"
    )
    import_parser.set_defaults(handler=import_services)
    user_parser = commands.add_parser(
        "create-user", help="create a staff account; the password is read from standard input"
    )
    user_parser.add_argument("--email", required=True)
    user_parser.add_argument("--role", required=True, choices=ROLES)
    user_parser.add_argument("--team", default=None, help="team name (required for caseworkers)")
    user_parser.add_argument(
        "--languages", default="", help="a reviewer's languages, comma-separated (ur,pl)"
    )
    user_parser.set_defaults(handler=create_user_command)
    words_parser = commands.add_parser("translations", help="reviewers' approved translations")
    words_actions = words_parser.add_subparsers(
        dest="action", required=True, parser_class=OneLineParser
    )
    export_parser = words_actions.add_parser(
        "export", help="write approved corrections into content/ for the repository"
    )
    export_parser.add_argument("--lang", required=True, help="language code, like ur")
    export_parser.set_defaults(handler=translations)
    rotate_parser = commands.add_parser(
        "rotate-data-key", help="re-encrypt stored personal data under the first key of DATA_KEY"
    )
    rotate_parser.add_argument(
        "--batch-size", type=int, default=500, help="rows re-encrypted per transaction"
    )
    rotate_parser.set_defaults(handler=rotate_data_key)
    args = parser.parse_args(argv)
    if not 0.1 <= getattr(args, "interval", 1.0) <= 3600:
        parser.error("--interval must be between 0.1 and 3600 seconds")
    if getattr(args, "batch_size", 1) < 1:
        parser.error("--batch-size must be at least 1")
    if getattr(args, "workers", 1) < 1 or not 0 < getattr(args, "port", 1) < 65536:
        parser.error("--workers must be at least 1 and --port between 1 and 65535")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        use_format(settings.log_format)
        args.handler(settings, args)
    except ConfigurationError as error:
        _fail(str(error))


if __name__ == "__main__":
    main()
