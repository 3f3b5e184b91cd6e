"""Every admin route: the role-by-route matrix, and CSRF on every state-changing request."""

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.admin_helpers import add_team, audit_trail, other_browser, signed_in

ROLES = ("caseworker", "editor", "reviewer", "admin")
EXPECTED = {  # what the product promises, whatever the code declares
    "/admin/users": {"admin"},
    "/admin/teams": {"admin"},
    "/admin/audit": {"admin"},
    "/admin/settings": {"admin"},
    "/admin/batches": {"admin"},
    "/admin/listings": {"admin", "editor"},
    "/admin/reports": {"admin", "editor"},
    "/admin/callbacks": {"admin", "caseworker"},
    "/admin/translations": {"admin", "reviewer"},
    "/admin/translations/suggestions": {"admin"},
    "/admin/": {"admin", "editor", "caseworker", "reviewer"},
}
PUBLIC_ADMIN_PATHS = {"/admin/login", "/admin/login/code"}


def admin_routes(client: TestClient) -> list[tuple[str, str, set[str]]]:
    """(method, path with placeholders filled, roles allowed) for every admin route."""
    routes = []
    for route in every_route(client.app.app.routes):  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute) or not route.path.startswith("/admin"):
            continue
        if route.path in PUBLIC_ADMIN_PATHS:
            continue
        roles = allowed_roles(route)
        assert roles, f"{route.path} declares no roles"
        path = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", route.path)
        for method in route.methods:
            routes.append((method, path, roles))
    return routes


def every_route(routes: list[object]) -> list[object]:
    """Routes of the app, looking inside included routers."""
    found: list[object] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found.extend(every_route(inner.routes) if inner is not None else [route])
    return found


def allowed_roles(route: APIRoute) -> set[str]:
    found: set[str] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        roles = getattr(dependency.call, "roles", None)
        if roles:
            found |= set(roles)
        stack.extend(dependency.dependencies)
    return found


def test_the_product_promises_match_what_each_route_declares(client: TestClient) -> None:
    declared = {(path, method): roles for method, path, roles in admin_routes(client)}
    for path, roles in EXPECTED.items():
        assert declared[(path, "GET")] == roles, path


def test_signed_out_visitors_are_sent_to_sign_in_from_every_admin_route(client: TestClient) -> None:
    for method, path, _roles in admin_routes(client):
        response = client.request(method, path, data={"csrf_token": "x"})
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/admin/login"), (method, path)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_wherever_it_is_not_allowed(client: TestClient, role: str) -> None:
    add_team(client, "Team")
    browser = other_browser(client)
    token = signed_in(browser, f"{role}@example.org", role, team="Team")
    for method, path, roles in admin_routes(client):
        if "logout" in path:
            continue  # signing out would end the walk; every role may sign out
        response = browser.request(method, path, data={"csrf_token": token})
        if role in roles:
            assert response.status_code != 403 or "form expired" in response.text.lower(), (
                method,
                path,
            )
            assert not response.headers.get("location", "").startswith("/admin/login"), (
                method,
                path,
            )
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)


def test_every_state_changing_request_needs_the_session_csrf_token(client: TestClient) -> None:
    signed_in(client, "admin@example.org", "admin")
    before = len(audit_trail(client))
    posts = [(method, path) for method, path, _roles in admin_routes(client) if method == "POST"]
    assert len(posts) >= 10
    for method, path in posts:
        missing = client.request(method, path, data={})
        wrong = client.request(method, path, data={"csrf_token": "not-the-token"})
        assert missing.status_code == 403, (path, missing.status_code)
        assert wrong.status_code == 403, (path, wrong.status_code)
    assert len(audit_trail(client)) == before  # nothing was done


def test_admin_pages_are_never_cached_and_public_pages_set_no_cookie(client: TestClient) -> None:
    signed_in(client, "admin@example.org", "admin")

    admin = client.get("/admin/")
    public = other_browser(client).get("/en/")

    assert admin.headers["cache-control"] == "no-store"
    assert "set-cookie" not in public.headers
