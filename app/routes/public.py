"""Public routes that are not cached pages: language choice, card codes and health checks."""

import logging
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlmodel import Session

from app.cards.scans import ScanTarget, count_scan, find_target, is_not_a_person, london_day
from app.content import SOURCE_LANGUAGE
from app.context import ContextDep, EngineDep, KeysDep, NowDep
from app.database import is_reachable
from app.i18n import negotiate
from app.offline import WORKER_CSP
from app.rate_limit import allow, bucket_key, client_key

router = APIRouter()
log = logging.getLogger(__name__)
# Scans counted per client a day: a person may scan a few cards, a script may not fill the charts.
SCANS_PER_CLIENT = 10


def _language_for(request: Request, available: list[str], fallback: str | None = None) -> str:
    default = fallback if fallback is not None and fallback in available else SOURCE_LANGUAGE
    return negotiate(request.headers.get("accept-language"), available, default)


def _to_card(request: Request, available: list[str], fallback: str | None = None) -> Response:
    # The language is chosen per request, so neither a browser nor a proxy may reuse the answer.
    return RedirectResponse(
        f"/{_language_for(request, available, fallback)}/",
        status_code=302,
        headers={"Cache-Control": "no-store", "Vary": "Accept-Language"},
    )


@router.get("/", include_in_schema=False)
def home(request: Request, context: ContextDep) -> Response:
    return _to_card(request, context.language_codes)


@router.api_route("/c/{code}", methods=["GET", "HEAD"], include_in_schema=False)
def card_code(
    code: str,
    request: Request,
    context: ContextDep,
    engine: EngineDep,
    keys: KeysDep,
    now: NowDep,
) -> Response:
    """A printed QR code lands on the card whatever the code: a card in a pocket never breaks.

    One scan is counted for the code's batch (or "unknown") unless a robot or prefetch asked,
    or this client's scans today are past `SCANS_PER_CLIENT` (it still lands on the card).
    The batch's language is used only when the phone's languages are none of ours.
    """
    client = client_key(request.client.host if request.client else None)
    target: ScanTarget | None = None
    try:
        with Session(engine) as db:
            target = find_target(db, code)
            if not is_not_a_person(request.method, dict(request.headers)):
                db.commit()  # the look-up's read ends first: the count starts a write of its own
                bucket = bucket_key(keys.hash_secret, "scan-client", client)
                if allow(db, bucket, SCANS_PER_CLIENT, timedelta(days=1), now):
                    count_scan(db, target.bucket, london_day(now))
                db.commit()
    except Exception:
        # Counting is worth less than the card: whatever went wrong, the reader still lands.
        log.warning("a card scan was not counted", exc_info=True)
    return _to_card(request, context.language_codes, target.default_lang if target else None)


@router.get("/healthz", include_in_schema=False)
async def healthz() -> Response:
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


@router.get("/readyz", include_in_schema=False)
def readyz(engine: EngineDep) -> Response:
    if is_reachable(engine):
        return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})
    return PlainTextResponse("database unreachable", status_code=503)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/{lang}/sw.js", include_in_schema=False)
async def offline_worker(lang: str, context: ContextDep) -> Response:
    """The offline worker of one language (app/offline.py), under the worker's own policy."""
    worker = context.site.workers.get(lang)
    if worker is None:
        raise HTTPException(status_code=404)
    return Response(
        worker.identity,
        media_type=worker.content_type,
        headers={"Cache-Control": worker.cache_control, "Content-Security-Policy": WORKER_CSP},
    )


# Last: this pattern would otherwise catch every one-segment path above.
@router.get("/{lang}", include_in_schema=False)
def language_without_slash(lang: str, context: ContextDep) -> Response:
    if lang not in context.language_codes:
        raise HTTPException(status_code=404)
    return RedirectResponse(f"/{lang}/", status_code=301)
