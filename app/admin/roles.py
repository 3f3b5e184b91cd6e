"""Staff roles, defined once: the admin, the forms and `create-user` all read them from here."""

from enum import StrEnum


class Role(StrEnum):
    """What a member of staff may do. Stored in `staff_user.role` as the plain value ("admin")."""

    ADMIN = "admin"  # everything, including who may see what
    APPROVER = "approver"  # what editors do, and publishes others' drafts of public listings
    EDITOR = "editor"  # edits listings; changes to public ones wait for an approver
    CASEWORKER = "caseworker"  # their team's callback queue
    REVIEWER = "reviewer"  # checks translations in the languages on their account
    VIEWER = "viewer"  # partnership members: reads the anonymous impact report, nothing else


# The plain values, in the order forms and `--help` list them.
ROLES: tuple[str, ...] = tuple(role.value for role in Role)
