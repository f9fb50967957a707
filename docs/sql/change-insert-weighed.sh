#!/bin/sh
# The raw-SQL measurements of docs/benchmarks.md, "Where a push waits, and four more ideas
# weighed": the change table's insert as text against uuid columns, and COPY against
# INSERT … SELECT in the benchmark's 296 pieces. Run by hand against a throwaway PostgreSQL:
#   docs/sql/change-insert-weighed.sh "host=/tmp/samanvaya-pg-0 port=54329 user=samanvaya dbname=postgres"
# It prints psql's timing of each step and drops its tables at the end.
set -eu
# printf, not echo: the shell's echo reads the "\t" of psql's \timing as a tab.
say() { printf '%s\n' "$*"; }
conn="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cols="(origin_device, origin_seq, via, kind, version, hlc, household_id, change, recorded_at, received_at, outcome)"
table() { # name, type of the id columns
  say "CREATE TABLE $1 (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, origin_device $2 NOT NULL,
    origin_seq BIGINT NOT NULL, via $2 NOT NULL, kind TEXT NOT NULL, version BIGINT NOT NULL, hlc TEXT NOT NULL,
    household_id $2 NOT NULL, change TEXT NOT NULL, recorded_at TEXT NOT NULL, received_at TEXT NOT NULL,
    outcome TEXT NOT NULL, UNIQUE (origin_device, origin_seq));
  CREATE INDEX ON $1 (household_id, seq);"
}
# 220,000 rows of 200 devices and 20,000 households, eleven changes a household, as the benchmark.
rows="SELECT src.d AS d, n AS s, hh.h AS h FROM generate_series(0, 219999) n
  JOIN (SELECT i, gen_random_uuid() AS d FROM generate_series(0, 199) i) src ON src.i = (n / 11) % 200
  JOIN (SELECT i, gen_random_uuid() AS h FROM generate_series(0, 20000) i) hh ON hh.i = n / 11"
fields="'0192aaaa-bbbb-7ccc-8ddd-eeeeffff0000', 'fact', 1, '[1796386360068,0,\"01a2461e-e6fd-7554-9d0d-16903ce67daa\"]'"
{
  table weigh_text TEXT
  table weigh_uuid UUID
  say "CREATE TABLE weigh_rows AS $rows;"
  say "\\timing on"
  for round in 1 2; do
    say "TRUNCATE weigh_text; TRUNCATE weigh_uuid;"
    say "INSERT INTO weigh_text $cols SELECT d::text, s, $fields, h::text, repeat('x', 250), '2026-12-05T12:00:00.000Z', '2026-12-05T12:00:00.000Z', 'applied' FROM weigh_rows ORDER BY s;"
    say "INSERT INTO weigh_uuid $cols SELECT d, s, '0192aaaa-bbbb-7ccc-8ddd-eeeeffff0000', 'fact', 1, '[1796386360068,0,\"01a2461e-e6fd-7554-9d0d-16903ce67daa\"]', h, repeat('x', 250), '2026-12-05T12:00:00.000Z', '2026-12-05T12:00:00.000Z', 'applied' FROM weigh_rows ORDER BY s;"
  done
  say "\\timing off"
  say "SELECT pg_size_pretty(pg_total_relation_size('weigh_text')) AS text, pg_size_pretty(pg_total_relation_size('weigh_uuid')) AS uuid;"
  say "\\copy (SELECT d, s, $fields, h, repeat('x', 250), '2026-12-05T12:00:00.000Z', '2026-12-05T12:00:00.000Z', 'applied' FROM weigh_rows ORDER BY s) TO '$work/rows.tsv'"
} > "$work/types.sql"
psql "$conn" -q -f "$work/types.sql"
split -l 743 -d -a 3 "$work/rows.tsv" "$work/piece"
{
  say "CREATE TABLE weigh_stage AS SELECT origin_device, origin_seq, via, kind, version, hlc, household_id, change, recorded_at, received_at, outcome FROM weigh_text WHERE false;"
  say "\\copy weigh_stage FROM '$work/rows.tsv'"
  say "ALTER TABLE weigh_stage ADD COLUMN n bigserial; CREATE INDEX ON weigh_stage (n); ANALYZE weigh_stage;"
  say "TRUNCATE weigh_text;"
  say "\\timing on"
  i=0
  for _ in "$work"/piece*; do
    say "INSERT INTO weigh_text $cols SELECT origin_device, origin_seq, via, kind, version, hlc, household_id, change, recorded_at, received_at, outcome FROM weigh_stage WHERE n > $((i * 743)) AND n <= $(((i + 1) * 743)) RETURNING seq \\g /dev/null"
    i=$((i + 1))
  done
} > "$work/insert.sql"
{ say "TRUNCATE weigh_text;"; say "\\timing on"; for f in "$work"/piece*; do say "\\copy weigh_text $cols FROM '$f'"; done; } > "$work/copy.sql"
sum() { grep '^Time' | awk '{ms += $2} END {printf "%s: %.0f ms\n", label, ms}' label="$1"; }
psql "$conn" -q -f "$work/insert.sql" | sum "INSERT … SELECT, 296 pieces"
psql "$conn" -q -f "$work/copy.sql" | sum "COPY, 296 pieces"
psql "$conn" -q -c "DROP TABLE weigh_text, weigh_uuid, weigh_rows, weigh_stage;"
