"""The public help directory: search with filters, one listing, and reporting a problem with it."""

import uuid
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.context import (
    ContextDep,
    EngineDep,
    KeysDep,
    NeedsDep,
    NowDep,
    PublicRendererDep,
    SessionDep,
)
from app.directory.cache import respond
from app.directory.files import NeedsFile
from app.directory.hours import opening_state
from app.directory.present import Gettext, needs_in, present
from app.directory.search import (
    Filters,
    find_service,
    find_services,
    known_district,
    postcode_district,
)
from app.models import ProblemReport, Service
from app.pages import Renderer
from app.rate_limit import allow, bucket_key, client_key

router = APIRouter()
REPORT_KINDS = ("wrong-phone", "closed", "wrong-hours", "other")
REPORT_LIMIT = 5
REPORT_WINDOW = timedelta(hours=1)
NO_STORE = {"Cache-Control": "no-store"}


def _parse_filters(
    request: Request, needs: set[str], _: Gettext
) -> tuple[Filters, dict[str, str], list[tuple[str, str]]]:
    params = request.query_params
    raw = {name: params.get(name, "").strip()[:40] for name in ("need", "area", "age", "page")}
    errors: list[tuple[str, str]] = []
    need = raw["need"] if raw["need"] in needs else None
    area = None
    if raw["area"]:
        area = postcode_district(raw["area"])
        if area is None:
            errors.append(("area", _("Enter the first part of a postcode, like LU1")))
        elif not known_district(area):
            message = _("%(area)s is not a UK postcode area. Check the first part of your postcode")
            errors.append(("area", message % {"area": area}))
            area = None
    age = None
    if raw["age"]:
        if raw["age"].isdigit() and 0 < int(raw["age"]) < 120:
            age = int(raw["age"])
        else:
            errors.append(("age", _("Enter your age as a number, like 15")))
    page = int(raw["page"]) if raw["page"].isdigit() else 1
    filters = Filters(need, area, age, params.get("open") == "1", page)
    return filters, raw, errors


@router.get("/{lang}/help", include_in_schema=False)
async def directory(
    lang: str,
    request: Request,
    renderer: PublicRendererDep,
    context: ContextDep,
    engine: EngineDep,
    now: NowDep,
) -> Response:
    """The directory page: from memory when cached, so a hit never waits for the database."""
    revision = await context.directory_revision.current()
    query = tuple(sorted(request.query_params.multi_items()))
    # The minute is in the key because "open now" and "opens at" change with the clock.
    key = ("help", lang, query, revision, now.strftime("%Y%m%d%H%M"))

    def render() -> tuple[str, int]:
        gettext = renderer.gettext[lang]
        needs = needs_in(context.needs, lang)
        filters, raw, errors = _parse_filters(request, {need.code for need in needs}, gettext)
        with Session(engine) as session:
            results = find_services(session, filters, now)
            listings = [
                present(f.service, f.state, lang, gettext, now, needs, f.local)
                for f in results.listings
            ]
        html = renderer.render(
            lang,
            "help.html",
            "help",
            needs=needs,
            filters=filters,
            raw=raw,
            errors=errors,
            results=results,
            listings=listings,
            page_query=lambda page: urlencode({**request.query_params, "page": page}),
        )
        return html, 400 if errors else 200

    return respond(request, await context.directory_cache.get_or_render(key, render))


def _service_or_404(session: Session, service_id: str) -> Service:
    try:
        service = find_service(session, uuid.UUID(service_id))
    except ValueError:
        service = None
    if service is None:
        raise HTTPException(status_code=404)
    return service


def _listing_page(
    request: Request,
    renderer: Renderer,
    all_needs: NeedsFile,
    session: Session,
    now: datetime,
    lang: str,
    service_id: str,
    errors: list[tuple[str, str]] | None = None,
    status: int = 400,
) -> Response:
    service = _service_or_404(session, service_id)
    needs = needs_in(all_needs, lang)
    state = opening_state(service.schedules, now)
    listing = present(service, state, lang, renderer.gettext[lang], now, needs)
    html = renderer.render(
        lang,
        "listing.html",
        f"help/{service_id}",
        listing=listing,
        errors=errors or [],
        reported=request.query_params.get("reported") == "1",
        report_kinds=REPORT_KINDS,
    )
    return HTMLResponse(html, status_code=status if errors else 200, headers=NO_STORE)


@router.get("/{lang}/help/{service_id}", include_in_schema=False)
def listing(
    lang: str,
    service_id: str,
    request: Request,
    renderer: PublicRendererDep,
    needs: NeedsDep,
    session: SessionDep,
    now: NowDep,
) -> Response:
    return _listing_page(request, renderer, needs, session, now, lang, service_id)


@router.post("/{lang}/help/{service_id}/report", include_in_schema=False)
def report_problem(
    lang: str,
    service_id: str,
    request: Request,
    renderer: PublicRendererDep,
    needs: NeedsDep,
    keys: KeysDep,
    session: SessionDep,
    now: NowDep,
    kind: Annotated[str, Form()] = "",
    details: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    _ = renderer.gettext[lang]

    def page_with(problem: list[tuple[str, str]], status: int = 400) -> Response:
        return _listing_page(
            request, renderer, needs, session, now, lang, service_id, problem, status
        )

    service = _service_or_404(session, service_id)
    if kind not in REPORT_KINDS:
        return page_with([("kind-wrong-phone", _("Choose what is wrong"))])
    if len(details) > 1000:
        return page_with([("details", _("Write 1000 characters or fewer"))])
    who = client_key(request.client.host if request.client else None)
    bucket = bucket_key(keys.hash_secret, "report", who)
    if not allow(session, bucket, REPORT_LIMIT, REPORT_WINDOW, now):
        session.commit()  # a refused report still counts against the limit
        problem = [("details", _("You have sent a lot of reports. Please try again in an hour."))]
        return page_with(problem, status=429)
    report = ProblemReport(
        service_id=service.id, kind=kind, details=details.strip(), created_at=now
    )
    session.add(report)
    session.commit()
    return RedirectResponse(f"/{lang}/help/{service_id}?reported=1#report", status_code=303)
