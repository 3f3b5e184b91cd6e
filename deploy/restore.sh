#!/bin/sh
# Restore a backup made by deploy/backup.sh into a database, which must exist and be empty
# (create it first: `createdb card_restored`). Restore into a new database, check it (e.g.
# `DATABASE_URL=... python -m app check`), then point DATABASE_URL at it.
#
#   deploy/restore.sh BACKUP_FILE DATABASE    # DATABASE: a libpq URL or name
#
# Runs in one transaction: a failed restore leaves the target as it was.
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 BACKUP_FILE DATABASE" >&2
    exit 2
fi
backup="$1"
database="$(printf '%s' "$2" | sed 's#^postgresql+psycopg://#postgresql://#')"
if [ ! -s "$backup" ]; then
    echo "error: no backup at $backup" >&2
    exit 1
fi
pg_restore --no-owner --exit-on-error --single-transaction --dbname="$database" "$backup"
echo "restored $backup"
