"""The youth-worker admin: staff sign-in, roles, listing editor, users, teams and audit log."""
