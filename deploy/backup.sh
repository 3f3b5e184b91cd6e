#!/bin/sh
# Back up the card's PostgreSQL database: one compressed pg_dump file (custom format) a run,
# named by the time in UTC, in BACKUP_DIR; files older than BACKUP_KEEP_DAYS days are removed.
#
#   deploy/backup.sh [DATABASE]      # DATABASE: a libpq URL or name; default: PG* variables
#
# Connection details come from the usual libpq variables (PGHOST, PGUSER, PGPASSWORD,
# PGDATABASE) or the argument. A `postgresql+psycopg://` URL (the app's DATABASE_URL) works too.
# Prints the file written. The dump holds personal data, encrypted with DATA_KEY: keep the
# backups as safe as the database, and DATA_KEY apart from them (without it they cannot be read).
set -eu

dir="${BACKUP_DIR:-./backups}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
database="$(printf '%s' "${1:-${PGDATABASE:-card}}" | sed 's#^postgresql+psycopg://#postgresql://#')"

mkdir -p "$dir"
umask 077
name="card-$(date -u +%Y%m%dT%H%M%SZ).dump"
# Written under a temporary name first: a half-written file is never taken for a backup.
pg_dump --format=custom --no-owner --dbname="$database" --file="$dir/$name.partial"
mv "$dir/$name.partial" "$dir/$name"
find "$dir" -name 'card-*.dump' -type f -mtime +"$keep_days" -delete
echo "$dir/$name"
