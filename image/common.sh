# Helpers shared by the image scripts: source it after setting NAME (the message prefix).
# shellcheck shell=bash

die() { echo "$NAME: $*" >&2; exit 1; }
log() { echo "$NAME: $*" >&2; }
# Run quietly; on failure show the command's last output lines (apt/dpkg/pip
# print harmless noise such as "debconf: delaying package configuration").
quiet() {
    local out
    if ! out="$("$@" 2>&1)"; then
        printf '%s\n' "$out" | tail -n 20 >&2
        return 1
    fi
}
