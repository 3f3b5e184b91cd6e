"""Staff roles, defined once: what is stored on a user, offered in forms and checked by routes."""

ADMIN = "admin"  # everything, including users, teams and settings
EDITOR = "editor"  # help listings and organisations
CASEWORKER = "caseworker"  # their team's callback queue
STAFF_ROLES = (ADMIN, EDITOR, CASEWORKER)
