#!/usr/bin/env bash
# Submits Rillet's live job to the compose cluster, once. Runs in the Rillet image after the
# image's entrypoint has written FLINK_PROPERTIES into conf/config.yaml; its arguments are the
# job's: live --bootstrap-servers kafka:9092 ... --parallelism N.
#
#  1. waits until the cluster has N task slots (TaskManagers register after the JobManager);
#  2. does nothing if a rillet-live job is already running or scheduled (docker compose up runs
#     this service again, and a second job would write every output twice);
#  3. resumes from the newest savepoint or retained checkpoint in /flink-data, if there is one,
#     so that a restarted cluster continues where its last job stopped instead of reading the
#     input again with empty state; RILLET_FRESH=true starts over on purpose.
set -euo pipefail

jm="${RILLET_JOBMANAGER:-jobmanager:8081}"
jar=/opt/flink/usrlib/rillet-job.jar
wait_s="${RILLET_SLOT_WAIT_S:-180}"
data="${RILLET_FLINK_DATA:-/flink-data}"

parallelism=1
prev=""
for arg in "$@"; do
  if [ "$prev" = "--parallelism" ]; then parallelism="$arg"; fi
  prev="$arg"
done

deadline=$((SECONDS + wait_s))
while :; do
  overview="$(curl -fsS "http://$jm/overview" 2>/dev/null || true)"
  slots="$(sed -n 's/.*"slots-total":\([0-9][0-9]*\).*/\1/p' <<<"$overview")"
  if [ -n "$slots" ] && [ "$slots" -ge "$parallelism" ]; then
    break
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "submit: after ${wait_s}s the cluster at $jm has ${slots:-no} task slots;" \
      "--parallelism $parallelism needs $parallelism. Add TaskManagers" \
      "(docker compose -f docker/compose.yaml up -d --scale taskmanager=N) or lower --parallelism." >&2
    exit 1
  fi
  sleep 2
done
echo "submit: $slots task slots on $jm"

running="$(flink list -m "$jm" 2>/dev/null | grep ' : rillet-live' || true)"
if [ -n "$running" ]; then
  echo "submit: not submitting, a Rillet job is already on the cluster:"
  echo "$running"
  exit 0
fi

resume=""
if [ "${RILLET_FRESH:-false}" != "true" ]; then
  # A savepoint or a completed checkpoint is a folder with a _metadata file; take the newest.
  resume="$(find "$data/savepoints" "$data/checkpoints" -name _metadata -type f \
    -printf '%T@ %h\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2- || true)"
fi

if [ -n "$resume" ]; then
  echo "submit: resuming from $resume (the newest savepoint or retained checkpoint;" \
    "RILLET_FRESH=true starts over with empty state and reads the input again)"
  exec flink run -d -m "$jm" -s "$resume" "$jar" "$@"
fi
if [ "${RILLET_FRESH:-false}" = "true" ]; then
  echo "submit: RILLET_FRESH=true: starting with empty state (outputs of earlier runs may repeat)"
else
  echo "submit: no savepoint or retained checkpoint in $data: starting with empty state"
fi
exec flink run -d -m "$jm" "$jar" "$@"
