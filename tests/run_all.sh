#!/usr/bin/env bash
# `make test`: every test layer, in two runs side by side.
#
# - The parallel run: the tests that own everything they touch (unit, contract, deploy), spread
#   over both cores by pytest-xdist. It is CPU-bound, so it runs at a lower priority (nice).
# - The serial run: browser, e2e and integration, one test at a time (they start whole
#   platforms and share the broker's fixed queue names). They mostly wait (for workers, timers,
#   restarts), so beside the parallel run they finish in about the time they take alone.
#
# Each run gets its own RabbitMQ node (tests/session_broker.py: private name, ports and data,
# stopped at the end): the integration tests stop and restart theirs, which must not touch the
# parallel run's. When only one node starts, both runs use it one after the other (a broker
# restart must not hit the other run); without root none can start, and they use AMQP_URL as set.
#
# The parallel run's output is shown as it comes, the serial run's after it (kept whole in
# .test-artifacts/serial.log). The exit status fails if either run failed.
set -uo pipefail
BIN=${BIN:-.venv/bin}
PARALLEL_TESTS=(tests/unit tests/contract tests/deploy)
SERIAL_TESTS=(tests/browser tests/e2e tests/integration)
ARTIFACTS=.test-artifacts
mkdir -p "$ARTIFACTS"

folders=() nodes=() serial_run=
cleanup() {
    # Stopped (make killed, a CI timeout) while the serial run runs: it goes first, before its broker.
    if [ -n "$serial_run" ]; then kill "$serial_run" 2>/dev/null; wait "$serial_run" 2>/dev/null; fi
    for pid in "${nodes[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${nodes[@]}"; do wait "$pid" 2>/dev/null; done
    for folder in "${folders[@]}"; do rm -rf "$folder"; done
}
trap cleanup EXIT

# Start a private node in a new folder (its env appears there once the node is up).
start_broker() {
    local folder
    folder=$(mktemp -d "/tmp/alumnet-test-$1-broker.XXXXXX")
    "$BIN/python" -m tests.session_broker "$folder" &
    folders+=("$folder") nodes+=("$!")
}

# Wait for the node of folder $1 (pid $2): 0 once its env is written, 1 if it gave up.
await_broker() {
    for _ in $(seq 600); do
        [ -f "$1/env" ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

start_broker parallel
start_broker serial
await_broker "${folders[0]}" "${nodes[0]}"; parallel_node=$?
await_broker "${folders[1]}" "${nodes[1]}"; serial_node=$?

if [ $parallel_node -eq 0 ] && [ $serial_node -eq 0 ]; then
    (. "${folders[1]}/env" && exec "$BIN/python" -m pytest --durations=25 "${SERIAL_TESTS[@]}") \
        > "$ARTIFACTS/serial.log" 2>&1 &
    serial_run=$!
    echo "make test: the serial run (${SERIAL_TESTS[*]}) runs beside this one; its output follows it"
    (. "${folders[0]}/env" && exec nice -n 10 "$BIN/python" -m pytest -n 2 --durations=15 "${PARALLEL_TESTS[@]}")
    parallel=$?
    echo "make test: the serial run so far (all of it: $ARTIFACTS/serial.log)"
    tail -n +1 --pid="$serial_run" -f "$ARTIFACTS/serial.log"
    wait "$serial_run"; serial=$?
    serial_run=
else
    # One run after the other (a broker restart must not hit the other run), on the node that
    # started, or on AMQP_URL as set when none could (no root or no rabbitmq-server).
    if [ $parallel_node -eq 0 ]; then . "${folders[0]}/env"
    elif [ $serial_node -eq 0 ]; then . "${folders[1]}/env"
    elif [ "${CI:-}" = true ]; then
        echo "make test: the run's RabbitMQ nodes did not start"
        exit 1
    else
        echo "make test: no private RabbitMQ node could start; both runs use ${AMQP_URL:-the default broker}"
    fi
    echo "make test: the two runs one after the other"
    "$BIN/python" -m pytest -n 2 --durations=15 "${PARALLEL_TESTS[@]}"; parallel=$?
    "$BIN/python" -m pytest --durations=25 "${SERIAL_TESTS[@]}"; serial=$?
fi
echo "make test: parallel run exit $parallel, serial run exit $serial"
[ $parallel -eq 0 ] && [ $serial -eq 0 ]
