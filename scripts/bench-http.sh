#!/usr/bin/env bash
# HTTP load test of the achievement list (issue: foundation, performance).
#
#   scripts/bench-http.sh [ACHIEVEMENTS] [DURATION]      (defaults: 100000, 30s)
#
# Needs: a release build (cargo build --release --bin tto), and Debian's wrk and nginx-light
# (apt-get install -y wrk nginx-light). It builds (once) a demo database with ACHIEVEMENTS
# achievements in /tmp/tto-bench, starts `tto serve` on it, saves the list page as a static
# file served by nginx, and runs wrk (2 threads, 64 connections) against:
#   1. the achievement list page, 50 rows (anonymous visitor: the public catalogue)
#   2. the same page as a signed-in TTO staff member (own institution + public rows)
#   3. the list API, 50 rows
#   4. nginx serving the saved page as a static file, for scale
# and prints requests/s, latency percentiles and the server's peak memory (VmHWM).
set -euo pipefail
N="${1:-100000}"
DURATION="${2:-30s}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TTO="$ROOT/target/release/tto"
DIR=/tmp/tto-bench
PORT=8097
NGINX_PORT=8098
[ -x "$TTO" ] || { echo "build first: cargo build --release --bin tto" >&2; exit 2; }
command -v wrk >/dev/null || { echo "install wrk: apt-get install -y wrk" >&2; exit 2; }
command -v nginx >/dev/null || { echo "install nginx: apt-get install -y nginx-light" >&2; exit 2; }
mkdir -p "$DIR"
if [ ! -f "$DIR/data/tto.db" ] || [ "$(cat "$DIR/size" 2>/dev/null)" != "$N" ]; then
  echo "building a demo database with $N achievements (takes minutes) …"
  "$TTO" demo --data-dir "$DIR/data" --achievements "$N" --fresh --no-serve >/dev/null
  echo "$N" > "$DIR/size"
fi

TTO_SECURE_COOKIES=false TTO_LOG=warn "$TTO" serve --database-url "sqlite://$DIR/data/tto.db" --bind "127.0.0.1:$PORT" &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; [ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done

# A signed-in TTO staff member's session cookie.
JAR="$DIR/cookies"; rm -f "$JAR"
curl -s -c "$JAR" -o "$DIR/signin.html" "http://127.0.0.1:$PORT/sign-in"
CSRF=$(grep -o 'name="_csrf" value="[0-9a-f]*"' "$DIR/signin.html" | head -1 | sed 's/.*value="//; s/"//')
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "_csrf=$CSRF" --data-urlencode "username=tto.staff" \
  --data-urlencode "password=tto-demo-2026" "http://127.0.0.1:$PORT/sign-in"
SESSION=$(awk '$6 == "tto_session" { print $7 }' "$JAR")
[ -n "$SESSION" ] || { echo "sign-in failed" >&2; exit 1; }

# The page nginx will serve, and a warm-up of every target.
mkdir -p "$DIR/static"
curl -s -o "$DIR/static/achievements.html" "http://127.0.0.1:$PORT/achievements"
echo "page: $(grep -c '<tr>' "$DIR/static/achievements.html") table rows, $(wc -c < "$DIR/static/achievements.html") bytes"
cat > "$DIR/nginx.conf" <<NGINX
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$NGINX_PORT; root $DIR/static; location / { default_type text/html; } }
}
NGINX
nginx -c "$DIR/nginx.conf"
for u in "/achievements" "/api/v1/achievements?limit=50"; do curl -s -o /dev/null "http://127.0.0.1:$PORT$u"; done
curl -s -o /dev/null -H "Cookie: tto_session=$SESSION" "http://127.0.0.1:$PORT/achievements"

run() {
  local name="$1"; shift
  echo; echo "== $name"
  wrk -t2 -c64 -d"$DURATION" --latency "$@" | grep -E 'Requests/sec|Latency |  50%|  90%|  99%|Non-2xx|Socket errors|requests in'
}
run "list page, anonymous (50 rows)" "http://127.0.0.1:$PORT/achievements"
run "list page, signed-in TTO staff (50 rows)" -H "Cookie: tto_session=$SESSION" "http://127.0.0.1:$PORT/achievements"
run "list API (50 rows)" "http://127.0.0.1:$PORT/api/v1/achievements?limit=50"
run "nginx, same page as a static file" "http://127.0.0.1:$NGINX_PORT/achievements.html"
echo
echo "tto serve peak memory: $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MiB"}'), now: $(grep VmRSS /proc/$SERVER/status | awk '{print $2/1024 " MiB"}')"
