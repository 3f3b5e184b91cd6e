"""Building the web application from settings: content, database, cached pages and routes."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.admin.access import SignInNeededError, admin_error, admin_page, redirect
from app.content import SOURCE_LANGUAGE, load_content
from app.context import AppContext, context_of
from app.database import make_engine
from app.directory.files import read_listing_files
from app.directory.revision import DirectoryRevision
from app.impact.tally import flushing
from app.measured_site import MeasuredSite
from app.pages import build_site
from app.request_guard import ControlCharactersError, allowed_hosts, refuse_control_characters
from app.review.live import follow_translations
from app.routes import (
    admin_auth,
    admin_batches,
    admin_callbacks,
    admin_listings,
    admin_people,
    admin_readiness,
    admin_report,
    admin_translations,
    callback,
    directory,
    metrics,
    public,
    webhooks,
)
from app.routes.api import router as open_referral_router
from app.security import Keys
from app.serving import refusal_pages
from app.settings import ConfigurationError, Settings, get_settings
from app.sms.worker import sender_lifespan


@asynccontextmanager
async def lifespan(api: FastAPI) -> AsyncIterator[None]:
    """While the app runs: the SMS sender (when on), following reviewers' work made in any
    instance, and storing the usage counts every few seconds (and at the end). Then the pool's
    connections are closed, so a stopped app holds none open on the database server."""
    context = context_of(api)
    seconds = context.settings.impact_flush_seconds
    try:
        async with (
            sender_lifespan(api),
            follow_translations(api),
            flushing(context.tally, context.engine, seconds),
        ):
            yield
    finally:
        context.engine.dispose()


class InvalidContentError(ConfigurationError):
    """The content files break a rule; the service will not start on them."""


def create_app(settings: Settings | None = None) -> MeasuredSite:
    settings = settings or get_settings()
    content = load_content(settings.content_dir)
    if content.problems:
        raise InvalidContentError(
            f"{len(content.problems)} content problem(s), first: {content.problems[0]} "
            "(run `python -m app content-check`)"
        )
    needs, _listings = read_listing_files(settings.content_dir / "services")
    site = build_site(content, settings)

    api = FastAPI(
        title="Consequences card",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        dependencies=[Depends(refuse_control_characters)],
    )
    engine = make_engine(settings.database_url)
    api.state.context = AppContext(
        settings=settings,
        engine=engine,
        content=content,
        site=site,
        needs=needs,
        keys=Keys.of(settings),
        directory_revision=DirectoryRevision(engine, settings.directory_refresh_seconds),
        second_factor_setup=settings.app_env != "test",
    )
    # Answers made per request (a listing's page, admin pages) are compressed here. The card pages
    # never get here; cached directory pages and API lists arrive compressed and pass through.
    api.add_middleware(GZipMiddleware, minimum_size=500)

    def not_found_response(request: Request) -> Response:
        first_segment = request.url.path.strip("/").split("/", 1)[0]
        lang = first_segment if first_segment in content.languages else SOURCE_LANGUAGE
        page = site.not_found[lang]
        return Response(
            page.identity,
            status_code=404,
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": page.cache_control},
        )

    @api.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/admin"):
            return admin_error(request, error.status_code, str(error.detail))
        if error.status_code == 404:
            return not_found_response(request)
        return Response(str(error.detail), status_code=error.status_code, headers=error.headers)

    @api.exception_handler(DBAPIError)
    @api.exception_handler(PoolTimeoutError)  # every connection busy for the pool's timeout
    def database_unavailable(request: Request, error: Exception) -> Response:
        # Never a traceback and never a dead end: say what to do instead, with help-now numbers.
        logging.getLogger(__name__).error(
            "database error on %s: %s", request.url.path, type(error).__name__
        )
        first_segment = request.url.path.strip("/").split("/", 1)[0]
        if first_segment == "api":
            return JSONResponse({"detail": "The service is busy. Try again soon."}, status_code=503)
        lang = first_segment if first_segment in content.languages else SOURCE_LANGUAGE
        html = site.renderer.render(lang, "unavailable.html", "")
        return HTMLResponse(
            html, status_code=503, headers={"Cache-Control": "no-store", "Retry-After": "30"}
        )

    bad_characters = refusal_pages(site.renderer, "characters")

    @api.exception_handler(ControlCharactersError)
    def control_characters(request: Request, error: ControlCharactersError) -> Response:
        if request.url.path.startswith("/admin"):
            message = "A field has a control character (such as NUL). Remove it and try again."
            return admin_page(
                request,
                "admin/error.html",
                None,
                400,
                heading="Check what you typed",
                message=message,
            )
        first_segment = request.url.path.strip("/").split("/", 1)[0]
        lang = first_segment if first_segment in content.languages else SOURCE_LANGUAGE
        return HTMLResponse(
            bad_characters[lang], status_code=400, headers={"Cache-Control": "no-store"}
        )

    @api.exception_handler(SignInNeededError)
    def sign_in_needed(request: Request, error: SignInNeededError) -> Response:
        return redirect(error.to)

    api.include_router(admin_auth.router)
    api.include_router(admin_batches.router)
    api.include_router(admin_callbacks.router)
    api.include_router(admin_listings.router)
    api.include_router(admin_people.router)
    api.include_router(admin_readiness.router)
    api.include_router(admin_translations.router)
    api.include_router(admin_report.router)
    api.include_router(open_referral_router)
    api.include_router(directory.router)
    api.include_router(callback.router)
    api.include_router(webhooks.router)
    api.include_router(metrics.router)  # before public's `/{lang}`, which would catch it
    api.include_router(public.router)
    production = settings.app_env == "production"
    return MeasuredSite(
        api,
        site,
        settings.forwarded_allow_ips,
        context_of(api).tally,
        hosts=allowed_hosts(settings.public_base_url) if production else None,
        hsts=settings.is_https,
    )
