"""The reviewer's account and dashboard: languages set on the Users page, progress per language."""

from fastapi.testclient import TestClient

from tests.admin_helpers import add_user, error_links, signed_in, user_row, web
from tests.review_helpers import check, items_of, reviewer

__all__ = ["web"]  # fixtures


def test_an_admin_gives_a_reviewer_their_languages_on_the_users_page(web: TestClient) -> None:
    csrf = signed_in(web, "ana@example.org")
    rid = add_user(web, "rukhsana@example.org", "editor")
    form = {"csrf_token": csrf, "role": "reviewer", "team": ""}

    none_chosen = web.post(f"/admin/users/{rid}", data=form)
    unknown = web.post(f"/admin/users/{rid}", data={**form, "languages": ["xx"]})
    saved = web.post(f"/admin/users/{rid}", data={**form, "languages": ["ur", "pa"]})

    assert none_chosen.status_code == 400
    assert error_links(none_chosen.text) == ["languages"]
    assert "Choose at least one language for a reviewer to check" in none_chosen.text
    assert unknown.status_code == 400
    assert saved.status_code == 303
    assert (
        user_row(web, "rukhsana@example.org").role,
        user_row(web, "rukhsana@example.org").languages,
    ) == (
        "reviewer",
        "pa,ur",
    )
    page = web.get(f"/admin/users/{rid}").text
    assert 'value="ur" checked' in page and 'value="pl" checked' not in page
    assert "Reviewer (pa,ur)" in web.get("/admin/users").text


def test_the_dashboard_shows_a_reviewer_the_progress_of_their_languages(web: TestClient) -> None:
    csrf = reviewer(web, langs="ur")
    total = len(items_of(web, "ur", "your-body"))
    before = web.get("/admin/").text
    for part in items_of(web, "ur", "your-body"):
        check(web, csrf, "ur", part)

    after = web.get("/admin/").text

    assert "Translations checked" in before
    assert 'href="/admin/translations/ur"' in after and "/admin/translations/pl" not in after
    assert "0/" in before.split("Translations checked", 1)[1].split("</table>", 1)[0]
    assert f">{total}/" in after.split("Translations checked", 1)[1].split("</table>", 1)[0]


def test_an_admin_sees_every_language_and_the_suggestions_waiting(web: TestClient) -> None:
    signed_in(web, "ana@example.org")

    overview = web.get("/admin/translations").text

    for code in ("ur", "pl", "ro", "bn", "pa", "ar", "pt"):
        assert f'href="/admin/translations/{code}"' in overview
    assert "Suggestions waiting for approval: 0" in overview
    assert "No suggestions are waiting." in web.get("/admin/translations/suggestions").text
