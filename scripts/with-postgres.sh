#!/usr/bin/env bash
# Runs a command with a PostgreSQL server for the tests: when CARDLINE_TEST_POSTGRES is not
# set already, starts a throwaway server (initdb into a temporary directory, its own port on
# 127.0.0.1 and its own socket directory, ssl=on with a throwaway certificate, password
# authentication over TCP), exports CARDLINE_TEST_POSTGRES=postgres://... for the command,
# and stops and removes the server afterwards, also when the command fails or is
# interrupted. initdb refuses to run as root: as root the server runs as the `postgres` user
# (runuser); as another user it runs as that user. Without the PostgreSQL binaries the
# command runs without the variable and the PostgreSQL tests print "skipped: no postgres"
# (under CI=true they fail instead). See docs/postgres.md.
# CARDLINE_PG_SERVER_OPTS adds server settings (`-c shared_buffers=1GB ...`), for benchmarks.
set -uo pipefail

if [ -n "${CARDLINE_TEST_POSTGRES:-}" ]; then
  echo "with-postgres: using the server given in CARDLINE_TEST_POSTGRES"
  exec "$@"
fi

pgbin=""
for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then pgbin=$d; break; fi
done
if [ -z "$pgbin" ]; then
  echo "with-postgres: no PostgreSQL server binaries (Debian package postgresql); PostgreSQL tests will be skipped"
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "with-postgres: running as root but there is no 'postgres' user to run the server; PostgreSQL tests will be skipped"
    exec "$@"
  fi
  as_server() { runuser -u postgres -- "$@"; }
  server_user=postgres
else
  as_server() { "$@"; }
  server_user=$(id -un)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/cardline-pg.XXXXXX")
chmod 700 "$dir"
[ "$server_user" = postgres ] && chown postgres: "$dir"
data="$dir/data"
log="$dir/server.log"
started=""

cleanup() {
  if [ -n "$started" ]; then
    as_server "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$password" > "$dir/pwfile"
chmod 600 "$dir/pwfile"
[ "$server_user" = postgres ] && chown postgres: "$dir/pwfile"

if ! as_server "$pgbin/initdb" -D "$data" -U cardline --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
  echo "with-postgres: initdb failed:" >&2
  cat "$dir/initdb.log" >&2
  exit 1
fi
rm -f "$dir/pwfile"

ssl_opts=""
if command -v openssl >/dev/null; then
  if openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
      -keyout "$data/server.key" -out "$data/server.crt" >/dev/null 2>&1; then
    chmod 600 "$data/server.key"
    [ "$server_user" = postgres ] && chown postgres: "$data/server.key" "$data/server.crt"
    ssl_opts="-c ssl=on"
  fi
fi

# A free port: the server refuses to start on a port in use, then another is tried.
for try in 1 2 3 4 5 6 7 8; do
  port=$((20000 + RANDOM % 20000))
  if as_server "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=on $ssl_opts ${CARDLINE_PG_SERVER_OPTS:-}" \
      start >/dev/null 2>&1; then
    started=yes
    break
  fi
done
if [ -z "$started" ]; then
  echo "with-postgres: the server did not start:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi

export CARDLINE_TEST_POSTGRES="postgres://cardline:${password}@127.0.0.1:${port}/postgres"
# The server is ours to reconfigure (the TLS test installs its own certificate).
export CARDLINE_TEST_POSTGRES_THROWAWAY=1
echo "with-postgres: started PostgreSQL ($("$pgbin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port as $server_user${ssl_opts:+, ssl on}${CARDLINE_PG_SERVER_OPTS:+, $CARDLINE_PG_SERVER_OPTS}"
"$@"
rc=$?
exit $rc
