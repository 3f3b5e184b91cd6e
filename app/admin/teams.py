"""Youth teams: checking and saving a team's name, areas, needs, duty phones and working hours.

A callback request is routed to the team that covers its area and need, or to the fallback team.
So the data is kept in the forms routing can trust: areas as postcode districts (LU1), needs as
codes from the `taxonomy_term` table, duty phones as E.164 mobile numbers (they receive texts), the
number the team calls and texts young people from (`calls_from`, E.164, any kind of line),
working days as iCalendar day codes (an end time before the start time means the shift runs past
midnight, as in listings' opening hours). At most one team is the fallback, and once one is, the
fallback can only move to another team, never be switched off, so requests always have a home.
"""

import re
from dataclasses import dataclass, field
from datetime import time

from sqlmodel import Session, col, func, select, update

from app.callbacks.phones import PhoneNumberError, normalise_mobile
from app.days import DAY_CODES, WORKING_WEEK
from app.directory.search import postcode_district
from app.models import TaxonomyTerm, Team

SEPARATORS = re.compile(r"[,;\s]+")
TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")
Errors = list[tuple[str, str]]


@dataclass
class TeamInput:
    """What the team form holds, as typed (so a form with errors can be shown again as it was)."""

    name: str = ""
    areas: str = ""
    needs: list[str] = field(default_factory=list)
    duty_phones: str = ""
    calls_from: str = ""
    days: list[str] = field(default_factory=lambda: list(WORKING_WEEK))
    works_from: str = "09:00"
    works_until: str = "17:00"
    is_fallback: bool = False

    @classmethod
    def from_team(cls, team: Team) -> "TeamInput":
        return cls(
            name=team.name,
            areas=", ".join(split_list(team.areas)),
            needs=split_list(team.needs),
            duty_phones="\n".join(split_list(team.duty_phones)),
            calls_from=team.calls_from,
            days=split_list(team.works_byday),
            works_from=team.works_from.strftime("%H:%M"),
            works_until=team.works_until.strftime("%H:%M"),
            is_fallback=team.is_fallback,
        )


@dataclass(frozen=True)
class TeamValues:
    """A checked team, ready to save."""

    name: str
    areas: list[str]
    needs: list[str]
    duty_phones: list[str]
    calls_from: str
    days: list[str]
    works_from: time
    works_until: time
    is_fallback: bool


def split_list(text: str) -> list[str]:
    return [item for item in SEPARATORS.split(text.strip()) if item]


def need_terms(db: Session) -> list[TaxonomyTerm]:
    return list(db.exec(select(TaxonomyTerm).order_by(col(TaxonomyTerm.position))).all())


def parse_time(text: str) -> time | None:
    match = TIME.match(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def _phones(text: str, errors: Errors, drama_ok: bool) -> list[str]:
    # One number a line (or comma-separated); spaces inside a number are part of the number.
    found: list[str] = []
    for line in re.split(r"[\n,;]+", text):
        if not line.strip():
            continue
        try:
            number = normalise_mobile(line, None, drama_ok=drama_ok)  # from any country
        except PhoneNumberError:
            errors.append(
                ("duty_phones", f"{line.strip()} is not a mobile number that can get texts")
            )
            continue
        if number not in found:
            found.append(number)
    if len(",".join(found)) > 500:
        errors.append(("duty_phones", "Enter fewer duty phone numbers"))
    return found


def _calls_from(text: str, errors: Errors, drama_ok: bool) -> str:
    # Optional, and any kind of line: a team may call from a landline and text from the service.
    if not text.strip():
        return ""
    try:
        return normalise_mobile(text, None, mobile_only=False, drama_ok=drama_ok)
    except PhoneNumberError:
        errors.append(
            ("calls_from", f"{text.strip()[:40]} is not a phone number, like 020 7946 0123")
        )
        return ""


def _areas(text: str, errors: Errors) -> list[str]:
    found: list[str] = []
    for item in (part.strip() for part in re.split(r"[,;\n]+", text)):
        # "LU5 3AB" is a full postcode (its district is LU5); "LU1 LU2" is two districts.
        whole = postcode_district(item)
        for part in [item] if whole else item.split():
            district = postcode_district(part)
            if district is None:
                errors.append(("areas", f"{part} is not a postcode district, like LU1 or LU4"))
            elif district not in found:
                found.append(district)
    if len(",".join(found)) > 1000:
        errors.append(("areas", "Enter fewer areas, or split the team"))
    return found


def validate_team(
    db: Session, form: TeamInput, team: Team | None, drama_ok: bool = False
) -> tuple[TeamValues, Errors]:
    """Check the form for a new team (`team` None) or an existing one; errors name their field."""
    errors: Errors = []
    name = " ".join(form.name.split())
    if not name:
        errors.append(("name", "Enter the team's name"))
    elif len(name) > 120:
        errors.append(("name", "Enter a name of 120 characters or fewer"))
    else:
        same_name = select(Team.id).where(func.lower(Team.name) == name.lower())
        if team is not None:
            same_name = same_name.where(col(Team.id) != team.id)
        if db.exec(same_name).first() is not None:
            errors.append(("name", f"There is already a team called {name}"))
    areas = _areas(form.areas, errors)
    known = {term.code for term in need_terms(db)}
    needs = [code for code in dict.fromkeys(form.needs) if code]
    unknown = [code for code in needs if code not in known]
    if unknown:
        errors.append(("needs", f"Choose needs from the list (unknown: {', '.join(unknown)})"))
    duty_phones = _phones(form.duty_phones, errors, drama_ok)
    calls_from = _calls_from(form.calls_from, errors, drama_ok)
    days: list[str] = [day for day in DAY_CODES if day in form.days]
    if not days or len(days) != len(set(form.days)):
        errors.append(("days", "Choose the days the team works"))
    works_from = parse_time(form.works_from)
    works_until = parse_time(form.works_until)
    if works_from is None:
        errors.append(("works_from", "Enter the start time like 09:00"))
    if works_until is None:
        errors.append(("works_until", "Enter the end time like 17:30"))
    elif works_from is not None and works_from == works_until:
        errors.append(("works_until", "Enter an end time that is not the start time"))
    if team is not None and team.is_fallback and not form.is_fallback:
        errors.append(
            ("is_fallback", "To change the fallback team, make another team the fallback instead")
        )
    values = TeamValues(
        name=name,
        areas=areas,
        needs=needs,
        duty_phones=duty_phones,
        calls_from=calls_from,
        days=days,
        works_from=works_from or time(9),
        works_until=works_until or time(17),
        is_fallback=form.is_fallback,
    )
    return values, errors


def save_team(db: Session, team: Team, values: TeamValues) -> list[str]:
    """Apply checked values to `team` (new or not); returns the names of the changed fields.

    The caller commits. Making this team the fallback clears the flag on every other team.
    """
    new = {
        "name": values.name,
        "areas": ",".join(values.areas),
        "needs": ",".join(values.needs),
        "duty_phones": ",".join(values.duty_phones),
        "calls_from": values.calls_from,
        "works_byday": ",".join(values.days),
        "works_from": values.works_from,
        "works_until": values.works_until,
        "is_fallback": values.is_fallback,
    }
    changed = [name for name, value in new.items() if getattr(team, name) != value]
    for name, value in new.items():
        setattr(team, name, value)
    db.add(team)
    db.flush()
    if values.is_fallback:
        db.execute(
            update(Team)
            .where(col(Team.id) != team.id, col(Team.is_fallback).is_(True))
            .values(is_fallback=False)
        )
    return changed
