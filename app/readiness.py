"""Is this install ready to take real requests? One list of problems, read by two screens.

`readiness_problems` is the one place the rules live: the admin page `/admin/readiness` (and the
dashboard's problems section) and `python -m app check` both show its answer. A problem is
blocking when a young person's request could go unseen or be sent somewhere wrong: a team nobody
is alerted for, no fallback team, texts that never leave the server, links that lead nowhere, or
(in production) a privacy notice naming the demo operator. Everything else is a warning.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.callbacks.phones import duty_numbers
from app.content import SOURCE_LANGUAGE, Content
from app.models import Team
from app.settings import Settings, base_url_problem
from app.sms.providers import status_callback_url

INBOUND_PATH = "/webhooks/twilio/sms"
ASK_SERVER = "Ask whoever runs the server to set it in the service's environment, then restart it."


@dataclass(frozen=True)
class Problem:
    """One thing to put right: what is wrong and what to do, and the page where it is done."""

    blocking: bool
    message: str
    link: str = ""  # an admin (or public) path; "" when the fix is on the server, not a page
    link_text: str = ""

    @property
    def level(self) -> str:
        return "blocking" if self.blocking else "warning"


def webhook_urls(settings: Settings) -> tuple[str, str]:
    """The two addresses to paste into the Twilio console: incoming texts, delivery status."""
    return settings.public_base_url + INBOUND_PATH, status_callback_url(settings)


def readiness_problems(db: Session, settings: Settings, content: Content) -> list[Problem]:
    """Every problem found, blocking ones first."""
    problems = [
        *_team_problems(db),
        *_sms_problems(settings),
        *_address_problems(settings),
        *_operator_problems(settings, content),
        *_language_problems(content),
    ]
    return sorted(problems, key=lambda problem: not problem.blocking)


def _team_problems(db: Session) -> list[Problem]:
    teams = list(db.exec(select(Team).order_by(col(Team.name))).all())
    fallback = next((team for team in teams if team.is_fallback), None)
    problems: list[Problem] = []
    if not teams:
        problems.append(
            Problem(
                True,
                "There are no youth teams, so no one is told about a callback request. "
                "Add a team, give it a duty phone and make it the fallback team.",
                "/admin/teams/new",
                "Add a team",
            )
        )
    elif fallback is None:
        problems.append(
            Problem(
                True,
                "No team is the fallback team. Requests from areas or about needs no team "
                "covers have nowhere to go. Open a team and tick 'This is the fallback team'.",
                "/admin/teams",
                "Choose the fallback team",
            )
        )
    for team in teams:
        link, text = f"/admin/teams/{team.id}", f"Edit {team.name}"
        if not duty_numbers(team.duty_phones):
            who = "the fallback team" if team.is_fallback else "this team"
            problems.append(
                Problem(
                    True,
                    f"{team.name} has no duty phone, so nobody is texted when a request "
                    f"reaches {who}. Add at least one mobile number under 'Duty phone numbers'.",
                    link,
                    text,
                )
            )
        if not team.works_byday.strip(",") or team.works_from == team.works_until:
            problems.append(
                Problem(
                    True,
                    f"{team.name} has no working hours, so no one can say when it will call "
                    "back. Choose its working days and its start and end times.",
                    link,
                    text,
                )
            )
        if not team.calls_from:
            problems.append(
                Problem(
                    False,
                    f"{team.name} has no 'We call and text from' number, so the form cannot tell "
                    "young people which number will call them. Add the number you call from.",
                    link,
                    text,
                )
            )
    return problems


def _sms_problems(settings: Settings) -> list[Problem]:
    production = settings.app_env == "production"
    if settings.sms_backend == "console":
        return [
            Problem(
                production,
                "Texts are only written to the server's log (SMS_BACKEND is console): no duty "
                "phone and no young person gets them. Set SMS_BACKEND=twilio with the Twilio "
                f"account details. {ASK_SERVER}",
            )
        ]
    missing = [
        name
        for name, value in (
            ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
            ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
        )
        if not value
    ]
    if not (settings.twilio_from_number or settings.twilio_messaging_service_sid):
        missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
    if missing:
        return [
            Problem(
                True,
                f"SMS_BACKEND is twilio but {', '.join(missing)} is not set, so no text can be "
                f"sent. Copy them from the Twilio console. {ASK_SERVER}",
            )
        ]
    return []


def _address_problems(settings: Settings) -> list[Problem]:
    reason = base_url_problem(settings.public_base_url)
    if reason is None:
        return []
    return [
        Problem(
            settings.app_env == "production",
            f"PUBLIC_BASE_URL: {reason}. Printed cards, texts and Twilio use this address, so "
            f"it must be the site's public https:// address. {ASK_SERVER}",
        )
    ]


def _operator_problems(settings: Settings, content: Content) -> list[Problem]:
    if not content.operator.demo:
        return []
    return [
        Problem(
            settings.app_env == "production",
            f"The site still says it is run by the demo operator ({content.operator.name}). "
            "Put your organisation's name, contact details and data protection contact in "
            "content/site.yaml, set 'demo: false', and restart. The header, footer and privacy "
            "notice then show them.",
            f"/{SOURCE_LANGUAGE}/privacy",
            "See the privacy notice",
        )
    ]


def _language_problems(content: Content) -> list[Problem]:
    slugs = content.page_slugs
    problems: list[Problem] = []
    for lang in content.languages.values():
        if lang.code == SOURCE_LANGUAGE:
            continue
        unchecked = [
            slug
            for slug in slugs
            if (page := content.pages.get((lang.code, slug))) is None or not page.reviewed
        ]
        if unchecked:
            problems.append(
                Problem(
                    False,
                    f"{lang.name} ({lang.code}): {len(unchecked)} of {len(slugs)} pages are not "
                    "yet checked by a fluent speaker, so they say so in small print. Ask a "
                    "reviewer to check them and set 'reviewed: true' "
                    "(see content/TRANSLATION-REVIEW.md).",
                    f"/{lang.code}/",
                    f"See the pages in {lang.name}",
                )
            )
    return problems
