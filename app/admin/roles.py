"""Staff roles, defined once: the admin, the forms and `create-user` all read them from here."""

from enum import StrEnum


class Role(StrEnum):
    """What a member of staff may do: admins everything, editors the listings, caseworkers their
    team's callback queue. Stored in `staff_user.role` as the plain value ("admin")."""

    ADMIN = "admin"
    EDITOR = "editor"
    CASEWORKER = "caseworker"
    REVIEWER = "reviewer"  # checks translations in the languages on their account


# The plain values, in the order forms and `--help` list them.
ROLES: tuple[str, ...] = tuple(role.value for role in Role)
