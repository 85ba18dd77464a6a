#!/bin/sh
# usage: scripts/large-bodies-rss.sh BINARY PORT DBNAME [POSTGRES_URL_WITHOUT_DB]
# Serves Outlay (a control database DBNAME with tenant acme is created on the Postgres server),
# sends 8 unauthenticated 29 MB POSTs to /login at once, and prints the server's RSS before,
# right after, and 10 s after. Drop DBNAME and DBNAME_acme afterwards.
set -e
BIN=$1 PORT=$2 DB=$3 PG=${4:-postgres://postgres@127.0.0.1:5432}
TMP=$(mktemp -d)
export OUTLAY_DATABASE_URL="$PG/$DB?sslmode=disable"
export OUTLAY_SECRET_KEY=$(openssl rand -hex 32) OUTLAY_LISTEN=127.0.0.1:$PORT OUTLAY_BLOB_URL=file://$TMP/blobs
$BIN migrate >/dev/null 2>&1
$BIN tenant create acme --name Acme --admin-email admin@acme.example --admin-password 'long enough password 1' >/dev/null 2>&1 || true
$BIN serve >$TMP/serve.log 2>&1 &
PID=$!
until curl -s -o /dev/null -H "Host: acme.localhost:$PORT" http://127.0.0.1:$PORT/healthz; do sleep 0.2; done
curl -s -o /dev/null -H "Host: acme.localhost:$PORT" http://127.0.0.1:$PORT/login
rss() { awk '/VmRSS/ {printf "%d MB\n", $2/1024}' /proc/$PID/status; }
echo "baseline: $(rss)"
printf 'email=a%%40b.c&password=' > $TMP/body; head -c $((29*1024*1024)) /dev/zero | tr '\0' 'a' >> $TMP/body
CURLS=""
for i in 1 2 3 4 5 6 7 8; do
  curl -s -o /dev/null -w "%{http_code} " -H "Host: acme.localhost:$PORT" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary @$TMP/body http://127.0.0.1:$PORT/login &
  CURLS="$CURLS $!"
done
wait $CURLS || true
echo
echo "after 8 posts: $(rss)"
sleep 10
echo "10 s later: $(rss)"
kill $PID
wait $PID || true
rm -rf "$TMP"
