"""The Open Referral UK API (HSDS 3.0 UK profile): our listings as read-only JSON under /api/v1.

Other directories reuse the listings through it. Rules every endpoint keeps:
- `Access-Control-Allow-Origin: *` on every response (the UK compliance rules ask for it), and an
  answer to CORS preflight requests;
- an ETag on every 200, so a client that polls gets an empty 304 while nothing has changed;
- errors as JSON `{"detail": "..."}`: 400 for a bad parameter, 404 for an unknown id or path;
- unpublished and archived services never appear, whatever the endpoint;
- a fixed number of queries per request whatever the page size or table size: children are
  loaded with `selectinload`, and `raiseload` turns any forgotten lazy load into an error;
- the services list is answered from memory while the directory is unchanged (see
  `CACHED_OPERATIONS`): a change shows at once on the instance that saved it, within about a
  second on the others.
"""

import uuid
from collections.abc import Callable, Coroutine
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import func
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from app.context import SessionDep, SettingsDep
from app.directory import oruk, oruk_schemas
from app.directory.oruk_objects import Item, OpenReferralObject, Page, ServiceSummary
from app.directory.oruk_queries import (
    PageRequest,
    ServiceFilters,
    full_service_options,
    rel,
    service_at_location_query,
    service_conditions,
    summary_options,
    visible,
)
from app.models import Location, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from app.pages import etag_matches
from app.routes.api_cache import CACHE_CONTROL, answer_from_cache, etag_for
from app.routes.api_params import (
    ApiError,
    FiltersDep,
    PageDep,
    describe_validation_error,
    parse_id,
)

T = TypeVar("T")
API_PREFIX = "/api/v1"
HSDS_VERSION = "3.0"
PROFILE_URL = "https://ref.openreferraluk.org/"
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}
# Answered from memory while the directory revision stays the same (`app/routes/api_cache.py`).
# Only the services list: every write that changes a listing or organisation bumps the revision,
# but an import that changes only the needs vocabulary does not, so taxonomies are not cached.
CACHED_OPERATIONS = {"getPaginatedListOfServices"}


def finish(request: Request, response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    if response.status_code != 200 or "ETag" in response.headers:
        return response  # a cached list: `choose` already set its ETag or answered 304
    etag = etag_for(bytes(response.body))
    if etag_matches(request.headers.get("if-none-match", "").encode("latin-1"), etag):
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, **CORS_HEADERS}
        return Response(status_code=304, headers=headers)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


class OpenReferralRoute(APIRoute):
    """Applies the API's rules (errors as JSON with 400 not 422, CORS, ETag) to every route."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        cached = self.operation_id in CACHED_OPERATIONS

        async def handle_by_api_rules(request: Request) -> Response:
            try:
                if cached:
                    response = await answer_from_cache(request, handle)
                else:
                    response = await handle(request)
            except RequestValidationError as error:
                response = problem(400, describe_validation_error(error))
            except ApiError as error:
                response = problem(error.status_code, error.detail)
            return finish(request, response)

        return handle_by_api_rules


def problem(status_code: int, detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status_code)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter is not valid; `detail` says which and why."},
    404: {"description": "Nothing has that id."},
}
router = APIRouter(
    prefix=API_PREFIX,
    route_class=OpenReferralRoute,
    tags=["Open Referral UK"],
    responses=ERROR_RESPONSES,
)


def sent(body: OpenReferralObject) -> Response:
    """The object's JSON, serialised once: a cached answer keeps these bytes (`api_cache`)."""
    return Response(body.to_json(), media_type="application/json")


def one_page(session: Session, page: PageRequest, count: Any, rows: Any) -> tuple[int, list[Any]]:
    """The number of matches (`count`, a SELECT COUNT) and this page of `rows` (ordered)."""
    total = session.exec(count).one()
    return total, list(session.exec(rows.offset(page.offset).limit(page.size)).all())


def found(row: T | None, what: str, id: str) -> T:
    """The row asked for by id, or the API's JSON 404."""
    if row is None:
        raise ApiError(404, f"No {what} with id {id!r}")
    return row


def paginated(page: PageRequest, total: int, contents: list[Item]) -> Response:
    return sent(oruk.page_envelope(page.number, page.size, total, contents))


def schema_response(schema: str, *, in_pages: bool = False) -> dict[int | str, dict[str, Any]]:
    """Documents a response by the Open Referral UK schema it follows (`oruk_schemas.SCHEMAS`)."""
    reference = oruk_schemas.ref(schema)
    if in_pages:
        reference = {"type": "object", "properties": {"contents": {"items": reference}}}
    return {200: {"content": {"application/json": {"schema": reference}}}}


# --- endpoints ----------------------------------------------------------------------------------


@router.get("/", operation_id="getAPIMetaInformation")
async def about(settings: SettingsDep) -> Response:
    """Which version and profile of HSDS this API follows, and where its OpenAPI document is."""
    base_url = settings.public_base_url
    return JSONResponse(
        {
            "version": HSDS_VERSION,
            "profile": PROFILE_URL,
            "openapi_url": f"{base_url}{API_PREFIX}/openapi.json",
        }
    )


@router.get(
    "/services",
    operation_id="getPaginatedListOfServices",
    responses=schema_response("service_list", in_pages=True),
)
def list_services(session: SessionDep, page: PageDep, filters: FiltersDep) -> Response:
    """Services with their one-to-one fields, filtered and paginated."""
    return sent(services_page(session, page, filters))


def services_page(
    session: Session, page: PageRequest, filters: ServiceFilters
) -> Page[ServiceSummary]:
    conditions = service_conditions(filters)
    total, rows = one_page(
        session,
        page,
        select(func.count()).select_from(Service).where(*conditions),
        select(Service)
        .where(*conditions)
        .order_by(col(Service.name), col(Service.id))
        .options(*summary_options()),
    )
    contents = [oruk.service_summary(row) for row in rows]
    return oruk.page_envelope(page.number, page.size, total, contents)


@router.get(
    "/services/{id}",
    operation_id="getFullyNestedServiceById",
    responses=schema_response("service"),
)
def get_service(id: str, session: SessionDep) -> Response:
    """One service with everything about it."""
    service_id = parse_id(id, "service")
    row = session.exec(
        select(Service)
        .where(col(Service.id) == service_id, *visible())
        .options(*full_service_options())
    ).first()
    return sent(oruk.full_service(found(row, "service", id)))


@router.get(
    "/taxonomies",
    operation_id="getPaginatedListOfTaxonomies",
    responses=schema_response("taxonomy", in_pages=True),
)
def list_taxonomies(session: SessionDep, page: PageDep) -> Response:
    """The vocabularies our services are tagged with (our "needs")."""
    total, rows = one_page(
        session,
        page,
        select(func.count()).select_from(Taxonomy),
        select(Taxonomy).order_by(col(Taxonomy.name), col(Taxonomy.id)),
    )
    return paginated(page, total, [oruk.taxonomy(row) for row in rows])


@router.get(
    "/taxonomies/{id}",
    operation_id="getTaxonomyById",
    responses=schema_response("taxonomy"),
)
def get_taxonomy(id: str, session: SessionDep) -> Response:
    row = session.get(Taxonomy, parse_id(id, "taxonomy"))
    return sent(oruk.taxonomy(found(row, "taxonomy", id)))


@router.get(
    "/taxonomy_terms",
    operation_id="getPaginatedListOfTaxonomyTerms",
    responses=schema_response("taxonomy_term", in_pages=True),
)
def list_taxonomy_terms(
    session: SessionDep,
    page: PageDep,
    taxonomy_id: Annotated[uuid.UUID | None, Query(description="Terms of this taxonomy.")] = None,
) -> Response:
    conditions = [] if taxonomy_id is None else [col(TaxonomyTerm.taxonomy_id) == taxonomy_id]
    total, rows = one_page(
        session,
        page,
        select(func.count()).select_from(TaxonomyTerm).where(*conditions),
        select(TaxonomyTerm)
        .where(*conditions)
        .order_by(col(TaxonomyTerm.taxonomy_id), col(TaxonomyTerm.position), col(TaxonomyTerm.id))
        .options(joinedload(rel(TaxonomyTerm.taxonomy))),
    )
    return paginated(page, total, [oruk.taxonomy_term(row) for row in rows])


@router.get(
    "/taxonomy_terms/{id}",
    operation_id="getTaxonomyTermById",
    responses=schema_response("taxonomy_term"),
)
def get_taxonomy_term(id: str, session: SessionDep) -> Response:
    term_id = parse_id(id, "taxonomy term")
    row = session.exec(
        select(TaxonomyTerm)
        .where(col(TaxonomyTerm.id) == term_id)
        .options(joinedload(rel(TaxonomyTerm.taxonomy)))
    ).first()
    return sent(oruk.taxonomy_term(found(row, "taxonomy term", id)))


@router.get(
    "/service_at_locations",
    operation_id="getPaginatedListOfServiceAtLocation",
    responses=schema_response("service_at_location_list", in_pages=True),
)
def list_service_at_locations(session: SessionDep, page: PageDep, filters: FiltersDep) -> Response:
    """Where services are delivered in person: each service at each of its locations."""
    conditions = service_conditions(filters)
    total, rows = one_page(
        session,
        page,
        select(func.count())
        .select_from(ServiceAtLocation)
        .join(Service, col(ServiceAtLocation.service_id) == col(Service.id))
        .join(Location, col(ServiceAtLocation.location_id) == col(Location.id))
        .where(*conditions, col(Location.address_hidden).is_(False)),
        service_at_location_query()
        .where(*conditions)
        .order_by(col(Service.name), col(ServiceAtLocation.id))
        .options(joinedload(rel(ServiceAtLocation.location)), *summary_options()),
    )
    contents = [oruk.service_at_location_summary(link, service) for link, service in rows]
    return paginated(page, total, contents)


@router.get(
    "/service_at_locations/{id}",
    operation_id="getServiceAtLocationWithNestedDataById",
    responses=schema_response("service_at_location"),
)
def get_service_at_location(id: str, session: SessionDep) -> Response:
    link_id = parse_id(id, "service at location")
    row = session.exec(
        service_at_location_query()
        .where(col(ServiceAtLocation.id) == link_id, *visible())
        .options(
            joinedload(rel(ServiceAtLocation.location)).selectinload(rel(Location.addresses)),
            *full_service_options(),
        )
    ).first()
    link, service = found(row, "service at location", id)
    return sent(oruk.full_service_at_location(link, service))


@cache
def openapi_document() -> dict[str, Any]:
    document = get_openapi(
        title="Consequences card: Open Referral UK API",
        version=HSDS_VERSION,
        description="Help-service listings as Open Referral UK (HSDS 3.0 UK profile) JSON.",
        routes=router.routes,
    )
    # Embedded rather than linked, so a reader or fuzzer offline can check every answer.
    document.setdefault("components", {}).setdefault("schemas", {}).update(oruk_schemas.SCHEMAS)
    return document


@router.get("/openapi.json", include_in_schema=False)
async def openapi() -> Response:
    return JSONResponse(openapi_document())


@router.options("/{path:path}", include_in_schema=False)
async def preflight(path: str) -> Response:
    """CORS preflight: any origin may read, never write; no credentials are involved."""
    headers = {
        "Access-Control-Allow-Methods": "GET, OPTIONS",
        "Access-Control-Allow-Headers": "*",
        "Access-Control-Max-Age": "86400",
    }
    return Response(status_code=204, headers=headers)


# Last: answers any other path under /api/v1 with a JSON 404 instead of the site's HTML page.
@router.get("/{path:path}", include_in_schema=False)
async def unknown_path(path: str) -> Response:
    raise ApiError(404, f"No endpoint {API_PREFIX}/{path[:100]}; see {API_PREFIX}/openapi.json")
