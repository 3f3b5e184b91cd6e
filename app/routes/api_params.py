"""The Open Referral UK API's query parameters: parsing, limits, and errors that name the parameter.

The parsers are plain `async def` functions: they never block, so FastAPI calls them on the event
loop instead of sending each one to the thread pool.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from app.directory.oruk_queries import PageRequest, ServiceFilters, parse_moment
from app.directory.search import known_district, postcode_district

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # an offset beyond this fits no directory and would overflow SQL
MAX_AGE = 150

PARAMETER_RULES = {
    "page": "page must be a whole number, 1 or more",
    "per_page": f"per_page must be a whole number from 1 to {MAX_PER_PAGE}",
    "minimum_age": f"minimum_age must be a whole number of years from 0 to {MAX_AGE}",
    "maximum_age": f"maximum_age must be a whole number of years from 0 to {MAX_AGE}",
    "taxonomy_term_id": "taxonomy_term_id must be a UUID",
    "taxonomy_id": "taxonomy_id must be a UUID",
    "search": "search must be at most 200 characters",
    "postcode": "postcode must be a UK postcode or its first part, like LU1",
}


class ApiError(Exception):
    """Ends a request with a JSON error: raised anywhere inside an API handler."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def describe_validation_error(error: RequestValidationError) -> str:
    messages: list[str] = []
    for item in error.errors():
        location = item.get("loc") or ("parameter",)
        name = str(location[-1])
        rule = PARAMETER_RULES.get(name, f"{name}: {item.get('msg', 'is not valid')}")
        given = item.get("input")
        messages.append(f"{rule} (got {str(given)[:100]!r})" if isinstance(given, str) else rule)
    return "; ".join(dict.fromkeys(messages)) or "Bad parameters"


async def page_request(
    page: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description=f"Page number, from 1 to {MAX_PAGE}.")
    ] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=MAX_PER_PAGE, description=f"Results per page, 1 to {MAX_PER_PAGE}.")
    ] = DEFAULT_PER_PAGE,
) -> PageRequest:
    return PageRequest(number=page, size=per_page)


def age_query(description: str) -> Any:
    return Query(ge=0, le=MAX_AGE, description=description)


async def service_filters(
    search: Annotated[
        str | None, Query(max_length=200, description="Words in name or description.")
    ] = None,
    taxonomy_term_id: Annotated[uuid.UUID | None, Query(description="Has this term.")] = None,
    taxonomy_id: Annotated[
        uuid.UUID | None, Query(description="Has a term of this taxonomy.")
    ] = None,
    minimum_age: Annotated[int | None, age_query("Accepts someone this age or older.")] = None,
    maximum_age: Annotated[int | None, age_query("Accepts someone this age or younger.")] = None,
    modified_after: Annotated[
        str | None, Query(description="Changed on or after this ISO 8601 date or date-time.")
    ] = None,
    postcode: Annotated[
        str | None,
        Query(
            max_length=16,
            description="Services someone in this postcode (or district, like LU1) can use: "
            "national ones and local ones that cover it.",
        ),
    ] = None,
) -> ServiceFilters:
    district = postcode_district(postcode) if postcode and postcode.strip() else None
    if postcode and postcode.strip() and (district is None or not known_district(district)):
        raise ApiError(400, f"{PARAMETER_RULES['postcode']} (got {postcode[:16]!r})")
    if minimum_age is not None and maximum_age is not None and minimum_age > maximum_age:
        raise ApiError(400, "minimum_age must not be more than maximum_age")
    return ServiceFilters(
        search=search.strip() if search and search.strip() else None,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        modified_after=moment(modified_after) if modified_after else None,
        district=district,
    )


PageDep = Annotated[PageRequest, Depends(page_request)]
FiltersDep = Annotated[ServiceFilters, Depends(service_filters)]


def moment(value: str) -> datetime:
    try:
        return parse_moment(value)
    except ValueError:
        raise ApiError(
            400,
            "modified_after must be an ISO 8601 date or date-time, such as 2026-01-31 or "
            f"2026-01-31T09:00:00Z (got {value[:100]!r})",
        ) from None


def parse_id(value: str, kind: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(404, f"No {kind} with id {value[:100]!r}") from None
