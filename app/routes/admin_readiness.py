"""The readiness page (admins only): what stops this install taking real requests, and the fix.

The checks themselves are in `app.readiness`, shared with `python -m app check`. `ReadinessDep`
gives the admin dashboard the same list (empty for other roles) for its problems section.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.admin.access import Admin, AnyStaff, admin_page
from app.context import ContextDep, SessionDep, SettingsDep
from app.readiness import Problem, readiness_problems, webhook_urls

router = APIRouter(prefix="/admin")


def problems_for_admins(
    db: SessionDep, settings: SettingsDep, context: ContextDep, staff: AnyStaff
) -> list[Problem]:
    """The readiness problems, for an admin; nothing for other roles (they cannot fix them)."""
    if not staff.is_admin:
        return []
    return readiness_problems(db, settings, context.content)


ReadinessDep = Annotated[list[Problem], Depends(problems_for_admins)]


@router.get("/readiness", include_in_schema=False)
def readiness_page(
    request: Request, settings: SettingsDep, staff: Admin, problems: ReadinessDep
) -> Response:
    inbound, status = webhook_urls(settings)
    return admin_page(
        request,
        "admin/readiness.html",
        staff,
        blocking=[problem for problem in problems if problem.blocking],
        warnings=[problem for problem in problems if not problem.blocking],
        inbound_url=inbound,
        status_url=status,
        sms_backend=settings.sms_backend,
    )
