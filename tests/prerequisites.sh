#!/usr/bin/env bash
# What `make test` needs besides Python: RabbitMQ (the run's own node), nginx (the gateway
# tests), Chromium with its driver and npm (the browser suite). Missing ones are installed when
# this machine can (root with apt-get, Debian); otherwise the run stops at once with the one
# command that installs them. `tests/prerequisites.sh bench`: only what `make bench` needs
# (RabbitMQ, and nginx for the portal bench).
set -euo pipefail
for_what=${1:-test}

missing=()
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ "$for_what" != bench ]; then
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "make $for_what: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "make $for_what: missing ${missing[*]}; install them with:" >&2
        echo "    sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi
# The gateway tests run their own nginx; a distribution's default site must not hold port 80.
if [ "$(id -u)" -eq 0 ] && command -v systemctl >/dev/null 2>&1; then
    systemctl stop nginx >/dev/null 2>&1 || true
fi
