#!/usr/bin/env bash
# Build the local base image for the service's container (no registry needed).
#
# No image registry is reachable here (no Docker Hub), so `FROM python:3.11-slim`
# cannot be pulled. Instead: debootstrap Debian bookworm from the Debian mirror
# apt already uses on this host, add python3 (3.11) + uv + the host's CA
# bundle, clean it down, and `docker import` it as one layer.
#
# The result is meant as `base_image` for `bentoml containerize` (BentoML 1.4,
# template base_v2.j2). What that template expects of a custom base image:
#   - groupadd/useradd (passwd) and a shell: it creates user `bentoml` (uid/gid
#     1034, home /home/bentoml) itself, so this image must NOT contain that
#     user, group or /home/bentoml/bento (groupadd/mkdir would then fail);
#   - bash + /usr/bin/env: the entrypoint is `#!/usr/bin/env bash`;
#   - `uv` on PATH (else it runs `pip install uv`, refused by Debian's pip) and
#     a system python3.11: bentofile.yaml sets no docker.python_version, so the
#     template runs `uv venv /app/.venv` (no -p) on the system Python; uv cannot
#     download a Python here;
#   - PATH set in the image config: the template does ENV PATH=/app/.venv/bin:${PATH},
#     and `docker import` sets no PATH by default (would leave PATH broken);
#   - working apt sources + CA bundle: with the default distro (debian) it runs
#     `apt-get update && apt-get install ... build-essential git` at build time.
#
# Usage: image/build-base.sh [--force]
# Env:   BASE_IMAGE        tag to build      (default boxoffice-base:bookworm-py311)
#        UV_VERSION        uv from PyPI      (default 0.13.9, the repo's .tools uv)
#        KEEP_ROOTFS=1     keep the debootstrap tree in /var/tmp (debugging)
#        DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR  override the mirrors read from
#                          /etc/apt/sources.list* (normally leave unset)
set -euo pipefail

BASE_IMAGE="${BASE_IMAGE:-boxoffice-base:bookworm-py311}"
UV_VERSION="${UV_VERSION:-0.13.9}"
SUITE=bookworm
HOST_CA=/etc/ssl/certs/ca-certificates.crt
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

NAME=build-base
# shellcheck source=image/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$arg' (usage: build-base.sh [--force])" ;;
    esac
done

[[ "$(id -u)" -eq 0 ]] || die "must run as root (debootstrap, chroot and mount need it)"
bash "$HERE/docker-up.sh" || die "no Docker engine (image/docker-up.sh failed)"

if [[ $force -eq 0 ]] && docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "$BASE_IMAGE already exists (use --force to rebuild)"
    exit 0
fi

command -v python3 >/dev/null 2>&1 || die "python3 is needed on the host (to sort the host's CA bundle)"
old_id="$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)"
[[ -s "$HOST_CA" ]] || die "host CA bundle $HOST_CA is missing or empty"

# --- Debian mirrors: the ones apt uses on this host, never a hard-coded one. ---
# Prints the first URI serving suite $1 (deb822 *.sources, then one-line lists).
find_mirror() {
    local suite="$1" f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$f" ]] || continue
        awk -v want="$suite" '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") && enabled != "no" && uri != "") { print uri; found = 1; exit }
                types = suites = uri = enabled = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^#/ { next }
            tolower($1) == "types:" { $1 = ""; types = substr($0, 2) }
            tolower($1) == "suites:" { $1 = ""; suites = substr($0, 2) }
            tolower($1) == "uris:" { uri = $2 }
            tolower($1) == "enabled:" { enabled = tolower($2) }
            END { if (!found) flush() }
        ' "$f"
    done | head -n1 | grep . && return 0
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$f" ]] || continue
        # deb [options] URI suite components...
        sed -E 's/\[[^]]*\]//' "$f" | awk -v want="$suite" '$1 == "deb" && $3 == want { print $2; exit }'
    done | head -n1 | grep .
}
MIRROR="${DEBIAN_MIRROR:-$(find_mirror "$SUITE" || true)}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-$(find_mirror "$SUITE-security" || true)}"
MIRROR="${MIRROR%/}"
SECURITY_MIRROR="${SECURITY_MIRROR%/}"
[[ -n "$MIRROR" ]] || die "no apt source for '$SUITE' in /etc/apt/sources.list* (set DEBIAN_MIRROR)"
log "Debian mirror: $MIRROR; security: ${SECURITY_MIRROR:-none found, skipping security updates}"

if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing Debian's debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get update -q || die "apt-get update failed"
    quiet apt-get install -y -q debootstrap || die "apt-get install debootstrap failed"
fi

# --- Work area, always cleaned up (unmount first, never cross into host fs). ---
ROOTFS="$(mktemp -d /var/tmp/boxoffice-rootfs.XXXXXX)"
# mktemp makes it 0700, which would become the image's / and lock every
# non-root user (and apt's _apt sandbox user) out of the whole filesystem.
chmod 0755 "$ROOTFS"
cleanup() {
    local m
    for m in proc dev/pts; do
        mountpoint -q "$ROOTFS/$m" 2>/dev/null && umount -l "$ROOTFS/$m"
    done
    if [[ "${KEEP_ROOTFS:-0}" == 1 ]]; then
        log "KEEP_ROOTFS=1: left $ROOTFS"
        return
    fi
    # --one-file-system: if an unmount failed, do not delete through it.
    rm -rf --one-file-system "$ROOTFS"
}
trap cleanup EXIT
in_root() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive HOME=/root "$@"; }

# --- 1. debootstrap: minbase + what we need (bash, passwd come with minbase). ---
t0=$SECONDS
log "debootstrap $SUITE (minbase) into $ROOTFS"
debootstrap --variant=minbase --components=main \
    --include=python3,python3-venv,python3-pip,python-is-python3,ca-certificates \
    "$SUITE" "$ROOTFS" "$MIRROR" >"$ROOTFS.debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(grep -E '^[EW]:' "$ROOTFS.debootstrap.log" | tail -n1) (log: $ROOTFS.debootstrap.log)"
rm -f "$ROOTFS.debootstrap.log"
t_debootstrap=$((SECONDS - t0))
log "debootstrap done in ${t_debootstrap}s"

# --- 2. configure: apt sources, small-footprint apt/dpkg settings, CAs. ---
t0=$SECONDS
rm -f "$ROOTFS/etc/apt/sources.list"
{
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$MIRROR" "$SUITE" "$SUITE"
    if [[ -n "$SECURITY_MIRROR" ]]; then
        printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$SECURITY_MIRROR" "$SUITE"
    fi
} >"$ROOTFS/etc/apt/sources.list.d/debian.sources"

# Later installs (e.g. BentoML's apt-get step) skip docs/man/locales too.
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
EOF
# Same apt settings as Debian's official images: no recommends, no caches.
cat >"$ROOTFS/etc/apt/apt.conf.d/90-slim" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
Acquire::CompressionTypes::Order:: "gz";
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
# No services may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod +x "$ROOTFS/usr/sbin/policy-rc.d"

# The host's bundle holds CAs that are not Debian's (this sandbox's TLS egress
# CA, an artifact-proxy CA): the host bundle minus the certificates the host's
# ca-certificates package ships. Register them as local CAs so any later
# update-ca-certificates (e.g. a bento build reinstalling ca-certificates)
# keeps them. Copying the host bundle over the image's instead would bring
# back roots that newer ca-certificates dropped, and be lost on the next
# update-ca-certificates.
python3 - "$HOST_CA" "$ROOTFS" <<'EOF'
import glob, re, sys
host_ca, root = sys.argv[1], sys.argv[2]
pem = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
norm = lambda c: "".join(c.split())
debian = set()
for path in glob.glob("/usr/share/ca-certificates/**/*.crt", recursive=True):
    debian |= {norm(c) for c in pem.findall(open(path).read())}
extra = [c for c in pem.findall(open(host_ca).read()) if norm(c) not in debian]
for i, c in enumerate(extra):
    with open(f"{root}/usr/local/share/ca-certificates/host-ca-{i}.crt", "w") as f:
        f.write(c + "\n")
print(f"build-base: {len(extra)} local (non-Debian) host CA(s) added", file=sys.stderr)
EOF
mount -t proc proc "$ROOTFS/proc"
# A private devpts instance: dpkg/apt want a pty for their logs.
mkdir -p "$ROOTFS/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$ROOTFS/dev/pts"
quiet in_root update-ca-certificates || die "update-ca-certificates inside the rootfs failed"

# --- 3. security/point updates, then uv from PyPI. ---
quiet in_root apt-get update -q || die "apt-get update inside the rootfs failed"
quiet in_root apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold dist-upgrade ||
    die "apt-get dist-upgrade inside the rootfs failed"
quiet in_root env PIP_BREAK_SYSTEM_PACKAGES=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
    python3 -m pip install -q --no-cache-dir "uv==$UV_VERSION" || die "pip install uv==$UV_VERSION failed"
# Again: an upgraded ca-certificates rebuilds the bundle in its postinst.
quiet in_root update-ca-certificates || die "update-ca-certificates inside the rootfs failed"

# The host's local CAs must be trusted inside the image, or TLS fails there.
for crt in "$ROOTFS"/usr/local/share/ca-certificates/host-ca-*.crt; do
    [[ -e "$crt" ]] || continue
    grep -qF "$(sed -n 2p "$crt")" "$ROOTFS/etc/ssl/certs/ca-certificates.crt" ||
        die "image CA bundle lacks host CA $(basename "$crt")"
done
py_ver="$(in_root python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[[ "$py_ver" == 3.11 ]] || die "expected python 3.11 in bookworm, got $py_ver"
uv_ver="$(in_root uv --version)"
umount "$ROOTFS/dev/pts" "$ROOTFS/proc"

# --- 4. slim down: docs, caches, logs, host-specific files. ---
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$ROOTFS"/usr/share/{man,info,lintian,linda}/* "$ROOTFS"/usr/share/locale/* \
    "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/cache/debconf/*-old \
    "$ROOTFS"/var/lib/dpkg/*-old "$ROOTFS"/var/log/* "$ROOTFS"/root/.cache "$ROOTFS"/tmp/* \
    "$ROOTFS"/var/tmp/* "$ROOTFS/usr/sbin/policy-rc.d"
# Docker provides these at run time; keep the files but not the host's content.
: >"$ROOTFS/etc/resolv.conf"
: >"$ROOTFS/etc/hostname"
rm -f "$ROOTFS/etc/machine-id"
t_configure=$((SECONDS - t0))
rootfs_size="$(du -sh --one-file-system "$ROOTFS" | cut -f1)"

# --- 5. import as a single-layer image with the config BentoML needs. ---
t0=$SECONDS
CA=/etc/ssl/certs/ca-certificates.crt
tar -C "$ROOTFS" --numeric-owner --one-file-system --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . |
    docker import \
        --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "ENV LANG=C.UTF-8" \
        --change "ENV SSL_CERT_FILE=$CA" \
        --change "ENV PIP_CERT=$CA" \
        --change "ENV REQUESTS_CA_BUNDLE=$CA" \
        --change "ENV UV_PYTHON_DOWNLOADS=never" \
        --change "ENV PIP_DISABLE_PIP_VERSION_CHECK=1" \
        --change "ENV BENTOML_DO_NOT_TRACK=true" \
        --change "LABEL org.opencontainers.image.description=\"Debian $SUITE + python $py_ver + $uv_ver (debootstrap)\"" \
        --change 'CMD ["bash"]' \
        --message "debootstrap $SUITE minbase + python3 + uv" \
        - "$BASE_IMAGE" >/dev/null || die "docker import failed"
t_import=$((SECONDS - t0))

# --force: drop the image this one replaced, unless containers/images use it.
new_id="$(docker image inspect --format '{{.Id}}' "$BASE_IMAGE")"
if [[ -n "$old_id" && "$old_id" != "$new_id" ]]; then
    docker rmi "$old_id" >/dev/null 2>&1 || log "kept the previous image ${old_id#sha256:} (still in use)"
fi
image_size="$(docker image inspect --format '{{.Size}}' "$BASE_IMAGE")"
log "built $BASE_IMAGE: python $py_ver, $uv_ver"
log "rootfs $rootfs_size, image $((image_size / 1000000)) MB; debootstrap ${t_debootstrap}s, configure ${t_configure}s, import ${t_import}s"
