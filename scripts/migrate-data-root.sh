#!/bin/sh
# migrate-data-root.sh: the one-time step of issue 8 — move the CSV files that
# existing data sets name from the old shared layout <data-root>/<location>
# to their tenant's directory <data-root>/<tenantId>/<location>.
#
#   scripts/migrate-data-root.sh DB DATA_ROOT           # dry run: print the plan
#   scripts/migrate-data-root.sh DB DATA_ROOT --apply   # move the files
#
# DB is the SQLite file (the PATH of --db sqlite:PATH); it is only read
# (sqlite3 -readonly), so the server may keep running. For every distinct
# operational.location:
#   move      exactly one tenant's data sets name it, it is a regular file
#             (not a symlink) at the old place, and nothing is at the new one
#   conflict  data sets of several tenants name it: not moved. Before issue 8
#             any tenant could name any file, so only the operator can tell
#             whose it is; copy it into the right tenant directories by hand
#   skip      nothing (or not a regular file) at the old place, or the new
#             place is taken
# Review the dry run before --apply: a tenant that named another tenant's
# upload before the fix would otherwise get that file. Needs sqlite3(1).
set -eu
[ $# -ge 2 ] || { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
DB=$1 ROOT=$2 APPLY=${3:-}
[ -z "$APPLY" ] || [ "$APPLY" = --apply ] || { echo "unknown option $APPLY" >&2; exit 2; }
[ -f "$DB" ] || { echo "no database at $DB" >&2; exit 1; }
[ -d "$ROOT" ] || { echo "no data root at $ROOT" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed" >&2; exit 1; }

# location, its tenants, how many; separated by US (0x1f). Locations with a
# line break or US in them are listed as "by hand" instead.
US=$(printf '\037')
sqlite3 -readonly -separator "$US" "$DB" "
  SELECT CASE WHEN instr(l, char(10)) OR instr(l, char(13)) OR instr(l, char(31))
              THEN '' ELSE l END, group_concat(DISTINCT t), count(DISTINCT t) FROM (
    SELECT tenant_id AS t, json_extract(doc, '\$.operational.location') AS l FROM datasets
    WHERE json_type(doc, '\$.operational.location') = 'text')
  GROUP BY l ORDER BY l;" |
while IFS=$US read -r loc tenants n; do
	if [ -z "$loc" ]; then
		echo "skip     (a location with a control character; move it by hand) tenants $tenants"
		continue
	fi
	src="$ROOT/$loc"
	if [ "$n" -gt 1 ]; then
		echo "conflict $loc: named by $n tenants ($tenants); not moved"
		continue
	fi
	dst="$ROOT/$tenants/$loc"
	if [ -L "$src" ] || [ ! -f "$src" ]; then
		[ -e "$dst" ] || echo "skip     $loc: no regular file at $src"
		continue
	fi
	if [ -e "$dst" ] || [ -L "$dst" ]; then
		echo "skip     $loc: $dst exists"
		continue
	fi
	echo "move     $src -> $dst"
	if [ "$APPLY" = --apply ]; then
		mkdir -p "$(dirname "$dst")"
		mv -n "$src" "$dst"
	fi
done
[ "$APPLY" = --apply ] || echo "(dry run: nothing moved; add --apply)"
