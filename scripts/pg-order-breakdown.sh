#!/bin/bash
# Part B breakdown at N requested cards, statement by statement (psql \timing, EXPLAIN ANALYZE):
# the order's statement as store-postgres/src/orders.rs runs it (work_mem 256MB, the moved
# cards returned by the UPDATE, no read-back), 100,000-row audit insert, then the whole command.
set -u
N=${1:-200000}
BIN=${CARDLINE_BIN:-target/debug/cardline}
psql "$CARDLINE_TEST_POSTGRES" -qc "CREATE DATABASE ob" >/dev/null
U="${CARDLINE_TEST_POSTGRES%/postgres}/ob"
H=$(mktemp -d)
echo "loadavg before: $(cat /proc/loadavg)"
$BIN --home "$H" --database "$U" db migrate >/dev/null
/usr/bin/time -f "request $N (debug binary): %e s wall, %U s user" $BIN --home "$H" --database "$U" request --count "$N" >/dev/null
psql "$U" -q <<SQL
\timing on
BEGIN;
INSERT INTO orders (id, state, created_by, created_at) VALUES (999999, 'open', 'm', '2026-11-29T00:00:00Z');
SELECT set_config('cardline.order_counts', 'bulk', true), set_config('work_mem', '256MB', true);
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) WITH sel AS (SELECT c.id, row_number() OVER (ORDER BY c.requested_at, c.id) AS pos FROM cards c WHERE c.state = 'requested'),
 moved AS (UPDATE cards c SET state = 'in_production', updated_at = '2026-11-29T00:00:01Z', order_id = 999999, order_position = sel.pos FROM sel WHERE c.id = sel.id AND c.state = 'requested' RETURNING c.id, c.number, c.state, c.order_id, c.assigned_to, c.valid_until, c.failure_reason, c.chip_id, c.created_at, c.updated_at, c.requester, c.desk, c.purpose, c.note, c.requested_at, c.produced_in_order, sel.pos),
 members AS (INSERT INTO order_cards (order_id, card_id, position, open) SELECT 999999, id, pos, true FROM moved)
 SELECT * FROM moved;
INSERT INTO audit (at, operator, action, card_number, order_id, from_state, to_state, reason, os_user, writer, seq, prev_hash, entry_hash, mac, key_id)
  SELECT at, operator, 'card.add_to_order', card_number, 999999, 'requested', 'in_production', reason, os_user, writer || '-m', seq, prev_hash, entry_hash, mac, key_id FROM audit WHERE action = 'card.request';
ROLLBACK;
SQL
/usr/bin/time -f "order create --all of $N (debug binary, whole command): %e s wall, %U s user" $BIN --home "$H" --database "$U" order create --all >/dev/null
echo "loadavg after: $(cat /proc/loadavg)"
