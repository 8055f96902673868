#!/usr/bin/env bash
# shellcheck shell=bash
#
# A Docker engine and a Lambda base image for `sam local invoke` / `sam local start-api` on a
# machine that has no Docker engine running and cannot pull container images.
#
#   source scripts/lib/docker-local.sh        # also sources local-servers.sh if needed
#   rf_install_sam                            # SAM CLI in $RF_SAM_VENV (local-servers.sh)
#   trap 'rf_docker_down' EXIT                # or call rf_docker_down yourself
#   rf_docker_up                              # exports DOCKER_HOST; RF_DOCKER_OWN=0|1
#   rf_lambda_base_image                      # public.ecr.aws/lambda/provided:al2023-x86_64
#   gw="$(rf_docker_host_address)"            # how a function container reaches this machine
#   rf_sam local invoke --skip-pull-image ...   # = $RF_SAM_VENV/bin/sam, off the network
#   rf_docker_down                            # idempotent; only stops what rf_docker_up started
#
# rf_docker_up
#   Uses the engine the caller's environment already reaches (`docker info` works), exporting
#   its endpoint as DOCKER_HOST (SAM's Python client ignores docker contexts), RF_DOCKER_OWN=0.
#   Otherwise, as root, installs Debian's docker.io (and debootstrap) if dockerd is missing and
#   starts a private dockerd whose data, state, socket, pid file and log all live under
#   $RF_TOOLS_DIR/docker (git-ignored), RF_DOCKER_OWN=1. Not root and no engine: status 2.
#   A private dockerd that another shell started (same directory) is shared, RF_DOCKER_OWN=0
#   (it stops when its owner calls rf_docker_down). RF_DOCKER_PRIVATE=1 for the private one.
# rf_docker_down
#   Stops the private dockerd (by pid: TERM, wait, KILL) and the containerd it spawned, and
#   restores DOCKER_HOST / DOCKER_CONTEXT. Does nothing when RF_DOCKER_OWN is not 1.
# rf_lambda_base_image [x86_64|arm64]
#   Makes sure public.ecr.aws/lambda/provided:al2023-ARCH (default: this machine's) exists.
#   The caller's own engine pulls it if it can. Otherwise (and always on the private engine) a
#   stand-in is imported from a Debian rootfs made once with debootstrap (root only), and SAM's
#   images derived from an older base are removed. The stand-in cannot be checked against the
#   registry, so always call SAM with --skip-pull-image.
# rf_docker_host_address
#   Prints the address a container on the default bridge reaches this machine at (the bridge's
#   gateway). SAM puts its function containers on that bridge whatever --docker-network says
#   (`host` is ignored), so endpoints given to a function must use this address, not 127.0.0.1,
#   and servers must listen on it (or 0.0.0.0).
# rf_sam ARGS...
#   Runs SAM with telemetry off and its STS account-id lookup failing at once (see below).
#
# Knobs: RF_DOCKER_START_TIMEOUT (s, default 60), RF_DOCKER_STORAGE_DRIVER (default: try
# overlay2, then vfs), RF_DEBIAN_MIRROR, RF_LAMBDA_SUITE (default bookworm).
#
# Sourced library: sets no shell options and works under `set -euo pipefail`.

if [[ -n "${RF_DOCKER_LOCAL_SOURCED:-}" ]]; then
    return 0
fi
RF_DOCKER_LOCAL_SOURCED=1

if [[ -z "${RF_LOCAL_SERVERS_SOURCED:-}" ]]; then
    # shellcheck source=local-servers.sh
    source "$(dirname -- "${BASH_SOURCE[0]}")/local-servers.sh"
fi

RF_DOCKER_DIR="$RF_TOOLS_DIR/docker"
RF_DOCKER_START_TIMEOUT="${RF_DOCKER_START_TIMEOUT:-60}"
# overlay2 is what Docker picks by default and works on ext4/xfs backing filesystems. It fails
# where the data root itself sits on overlayfs (a machine that is a container, some CI runners)
# or the kernel lacks the overlay module; vfs (a full copy per layer: slow, big, but works on any
# filesystem) is the fallback. Both are tried in this order unless RF_DOCKER_STORAGE_DRIVER says.
RF_DOCKER_STORAGE_DRIVER="${RF_DOCKER_STORAGE_DRIVER:-}"
RF_DEBIAN_MIRROR="${RF_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
RF_LAMBDA_SUITE="${RF_LAMBDA_SUITE:-bookworm}"
# curl too: Amazon Linux 2023's provided image has curl (curl-minimal), and a shell bootstrap
# talking to the runtime API needs it.
RF_LAMBDA_ROOTFS_PACKAGES="ca-certificates,curl"
RF_LAMBDA_ROOTFS="$RF_TOOLS_DIR/lambda-rootfs/$RF_LAMBDA_SUITE"

# State of this shell's engine.
RF_DOCKER_OWN=""
# 1 when the engine is the private dockerd of this checkout (this shell's or another's).
RF_DOCKER_PRIVATE=""
RF_DOCKER_PID=""
RF_DOCKER_SOCK=""
RF_DOCKER_PREV_HOST=""
RF_DOCKER_PREV_HOST_SET=""
RF_DOCKER_PREV_CONTEXT=""
RF_DOCKER_PREV_CONTEXT_SET=""
RF_DOCKER_LOCK_FD=""

# ---------------------------------------------------------------------------------------------
# Engine
# ---------------------------------------------------------------------------------------------

_rf_docker_answers() {
    command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1
}

# The socket of the private engine. A unix socket path must stay under 108 bytes (we keep it
# under 100); a repository checked out deep falls back to a short directory under /tmp.
_rf_docker_sock_path() {
    local sock="$RF_DOCKER_DIR/docker.sock"
    if ((${#sock} >= 100)); then
        local sum
        sum="$(printf '%s' "$RF_DOCKER_DIR" | cksum | cut -d' ' -f1)"
        sock="${TMPDIR:-/tmp}/rf-docker-$sum/docker.sock"
    fi
    printf '%s\n' "$sock"
}

# True if PID is alive and its command line contains STRING.
_rf_pid_has() {
    local pid="$1" want="$2"
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$want"
}

_rf_docker_save_env() {
    RF_DOCKER_PREV_HOST_SET="${DOCKER_HOST+1}"
    RF_DOCKER_PREV_HOST="${DOCKER_HOST:-}"
    RF_DOCKER_PREV_CONTEXT_SET="${DOCKER_CONTEXT+1}"
    RF_DOCKER_PREV_CONTEXT="${DOCKER_CONTEXT:-}"
}

_rf_docker_restore_env() {
    if [[ -n "$RF_DOCKER_PREV_HOST_SET" ]]; then
        export DOCKER_HOST="$RF_DOCKER_PREV_HOST"
    else
        unset DOCKER_HOST
    fi
    if [[ -n "$RF_DOCKER_PREV_CONTEXT_SET" ]]; then
        export DOCKER_CONTEXT="$RF_DOCKER_PREV_CONTEXT"
    fi
}

# Installs with apt-get the packages whose command is missing: dockerd (docker.io, which brings
# containerd, runc, tini and iptables) and debootstrap. The Debian mirror is reachable here, no
# container registry is. Services are not started by the install (a temporary policy-rc.d).
_rf_docker_apt_install() {
    local pkgs=()
    command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || pkgs+=(debootstrap)
    ((${#pkgs[@]} > 0)) || return 0
    command -v apt-get >/dev/null 2>&1 || _rf_die "apt-get is needed to install ${pkgs[*]}" || return 1
    _rf_log "installing ${pkgs[*]} with apt-get (first use only) ..."
    local policy=/usr/sbin/policy-rc.d own_policy="" rc=0 log="$RF_TOOLS_DIR/.rf-apt-docker.log"
    if [[ ! -e "$policy" ]]; then
        # Keeps the package's init script from starting a system-wide dockerd on /var/run.
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    fi
    {
        apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                -o Dpkg::Options::=--force-confold "${pkgs[@]}"
    } >"$log" 2>&1 || rc=$?
    [[ -z "$own_policy" ]] || rm -f -- "$policy"
    if ((rc != 0)); then
        tail -n 30 -- "$log" >&2
        _rf_die "apt-get install ${pkgs[*]} failed (log: $log)"
        return 1
    fi
    _rf_log "installed ${pkgs[*]}"
}

# _rf_docker_start DRIVER : starts dockerd with DRIVER and waits for it. 0: up; 1: failed.
_rf_docker_start() {
    local driver="$1" sock="$RF_DOCKER_SOCK" dir="$RF_DOCKER_DIR"
    local pidfile="$dir/dockerd.pid" spawnpid="$dir/spawn.pid" log="$dir/dockerd.log"
    rm -f -- "$spawnpid" "$sock"
    # Own session, so dockerd and whatever it forks can be told apart from the caller's group.
    # shellcheck disable=SC2016 # $$ and $@ are for the inner shell
    setsid bash -c 'echo "$$" >"$0" && exec "$@"' "$spawnpid" \
        dockerd \
        --host "unix://$sock" \
        --data-root "$dir/data" \
        --exec-root "$dir/run" \
        --pidfile "$pidfile" \
        --storage-driver "$driver" \
        --iptables=false --ip-forward=false --ip-masq=false \
        </dev/null >"$log" 2>&1 {RF_DOCKER_LOCK_FD}>&- &
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s "$spawnpid" ]] && break
        sleep 0.05
    done
    RF_DOCKER_PID="$(cat -- "$spawnpid" 2>/dev/null || true)"
    if [[ -z "$RF_DOCKER_PID" ]]; then
        _rf_log "could not start dockerd"
        return 1
    fi
    local deadline=$((SECONDS + RF_DOCKER_START_TIMEOUT))
    while ((SECONDS < deadline)); do
        if ! kill -0 "$RF_DOCKER_PID" 2>/dev/null; then
            _rf_log "dockerd ($driver) exited while starting; last lines of $log:"
            tail -n 15 -- "$log" >&2 || true
            _rf_docker_stop_private
            return 1
        fi
        if DOCKER_HOST="unix://$sock" timeout 5 docker info >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    _rf_log "dockerd ($driver) did not answer on $sock within ${RF_DOCKER_START_TIMEOUT}s; last lines of $log:"
    tail -n 15 -- "$log" >&2 || true
    _rf_docker_stop_private
    return 1
}

# Stops the private dockerd of RF_DOCKER_PID, then the containerd it supervised and any shim of
# its containers left over (each found by pid and recognised by our paths in its command line).
_rf_docker_stop_private() {
    local dir="$RF_DOCKER_DIR" pid="$RF_DOCKER_PID" i
    local ctrsock="$dir/run/containerd/containerd.sock" ctrpid=""
    ctrpid="$(cat -- "$dir/run/containerd/containerd.pid" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        # dockerd stops its containers (up to 15 s each) and its containerd on SIGTERM.
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 300; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            _rf_log "dockerd (pid $pid) did not stop; killing it"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    if _rf_pid_has "$ctrpid" "$dir/run/containerd"; then
        kill -TERM "$ctrpid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$ctrpid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$ctrpid" 2>/dev/null || true
    fi
    # Shims outlive containerd by design; those of our containerd name its socket.
    local p
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        if _rf_pid_has "$p" "containerd-shim" && _rf_pid_has "$p" "$ctrsock"; then
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    rm -f -- "$dir/dockerd.pid" "$dir/spawn.pid" "${RF_DOCKER_SOCK:-$dir/docker.sock}"
    RF_DOCKER_PID=""
}

# Exports DOCKER_HOST for the engine the caller's environment reaches.
_rf_docker_use_existing() {
    local host="${DOCKER_HOST:-}"
    if [[ -z "$host" ]]; then
        host="$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)"
    fi
    [[ -n "$host" ]] || host="unix:///var/run/docker.sock"
    export DOCKER_HOST="$host"
    if [[ -n "${DOCKER_CONTEXT:-}" ]]; then unset DOCKER_CONTEXT; fi
    local version
    version="$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
    _rf_log "$1 Docker engine $version at $DOCKER_HOST"
}

# Shares a private dockerd that another shell started from this checkout (waiting for it while
# it starts). Such an engine is not ours to stop: RF_DOCKER_OWN=0.
_rf_docker_try_shared() {
    local other deadline
    other="$(cat -- "$RF_DOCKER_DIR/spawn.pid" 2>/dev/null || true)"
    _rf_pid_has "$other" "$RF_DOCKER_SOCK" || return 1
    deadline=$((SECONDS + RF_DOCKER_START_TIMEOUT))
    until DOCKER_HOST="unix://$RF_DOCKER_SOCK" _rf_docker_answers; do
        if [[ -S "$RF_DOCKER_SOCK" && ! -w "$RF_DOCKER_SOCK" ]]; then
            _rf_log "a dockerd of this checkout (pid $other) runs, but $RF_DOCKER_SOCK is not writable for $(id -un)"
            return 1
        fi
        if ((SECONDS >= deadline)) || ! kill -0 "$other" 2>/dev/null; then
            _rf_log "a dockerd of this checkout (pid $other) runs but does not answer on $RF_DOCKER_SOCK"
            return 1
        fi
        sleep 0.5
    done
    RF_DOCKER_OWN=0
    RF_DOCKER_PRIVATE=1
    export DOCKER_HOST="unix://$RF_DOCKER_SOCK"
    _rf_docker_use_existing "using the private (pid $other, started by another shell)"
}

rf_docker_up() {
    if [[ "$RF_DOCKER_OWN" == 1 ]] && [[ -n "$RF_DOCKER_PID" ]] && kill -0 "$RF_DOCKER_PID" 2>/dev/null; then
        _rf_log "dockerd already started by this shell (pid $RF_DOCKER_PID)"
        return 0
    fi
    _rf_docker_save_env
    if _rf_docker_answers; then
        RF_DOCKER_OWN=0
        RF_DOCKER_PRIVATE=""
        _rf_docker_use_existing "using the existing"
        return 0
    fi
    RF_DOCKER_SOCK="$(_rf_docker_sock_path)"
    if command -v docker >/dev/null 2>&1 && _rf_docker_try_shared; then
        return 0
    fi
    if [[ "$(id -u)" != 0 ]]; then
        _rf_log "error: no Docker engine answers (docker info failed) and starting one needs root;"
        _rf_log "       start Docker (or set DOCKER_HOST to a running engine) and try again"
        return 2
    fi
    _rf_with_lock install-docker _rf_docker_apt_install || return 1
    command -v docker >/dev/null 2>&1 || _rf_die "no docker client after installing docker.io" || return 1
    mkdir -p -- "$RF_DOCKER_DIR" "$(dirname -- "$RF_DOCKER_SOCK")" || return 1

    # One start at a time per checkout: a second shell waits, then shares the first one's engine.
    exec {RF_DOCKER_LOCK_FD}>"$RF_DOCKER_DIR/dockerd.lock" || return 1
    if ! flock -w "$((RF_DOCKER_START_TIMEOUT * 3))" "$RF_DOCKER_LOCK_FD"; then
        exec {RF_DOCKER_LOCK_FD}>&-
        _rf_die "timed out waiting for $RF_DOCKER_DIR/dockerd.lock"
        return 1
    fi
    if _rf_docker_try_shared; then
        exec {RF_DOCKER_LOCK_FD}>&-
        return 0
    fi
    # A pid file left by a dockerd that died makes the next one refuse to start.
    local stale
    stale="$(cat -- "$RF_DOCKER_DIR/dockerd.pid" 2>/dev/null || true)"
    if [[ -n "$stale" ]] && ! _rf_pid_has "$stale" dockerd; then
        rm -f -- "$RF_DOCKER_DIR/dockerd.pid"
    fi
    local started=$SECONDS driver drivers ok=""
    read -r -a drivers <<<"${RF_DOCKER_STORAGE_DRIVER:-overlay2 vfs}"
    for driver in "${drivers[@]}"; do
        _rf_log "starting dockerd (storage driver $driver, log $RF_DOCKER_DIR/dockerd.log) ..."
        if _rf_docker_start "$driver"; then
            ok=1
            break
        fi
    done
    exec {RF_DOCKER_LOCK_FD}>&-
    if [[ -z "$ok" ]]; then
        _rf_docker_restore_env
        _rf_die "could not start dockerd (tried: ${drivers[*]}; log: $RF_DOCKER_DIR/dockerd.log)"
        return 1
    fi
    RF_DOCKER_OWN=1
    RF_DOCKER_PRIVATE=1
    if [[ -n "${DOCKER_CONTEXT:-}" ]]; then unset DOCKER_CONTEXT; fi
    export DOCKER_HOST="unix://$RF_DOCKER_SOCK"
    _rf_log "dockerd $(docker version --format '{{.Server.Version}}' 2>/dev/null || true) (pid $RF_DOCKER_PID, storage driver $driver) on $DOCKER_HOST; ready in $((SECONDS - started))s"
}

rf_docker_down() {
    if [[ "$RF_DOCKER_OWN" == 1 ]]; then
        _rf_docker_stop_private
        _rf_docker_restore_env
        _rf_log "stopped dockerd"
    elif [[ "$RF_DOCKER_OWN" == 0 ]]; then
        _rf_docker_restore_env
    fi
    RF_DOCKER_OWN=""
    RF_DOCKER_PRIVATE=""
    return 0
}

# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------

rf_docker_host_address() {
    local gw
    gw="$(docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}} {{end}}' 2>/dev/null || true)"
    gw="$(tr ' ' '\n' <<<"$gw" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | head -n 1 || true)"
    if [[ -z "$gw" ]]; then
        # Some engines leave Gateway empty for the default bridge; its interface has the address.
        gw="$(ip -4 -o addr show dev docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}' || true)"
    fi
    [[ -n "$gw" ]] || _rf_die "could not find the gateway of Docker's bridge network" || return 1
    printf '%s\n' "$gw"
}

# ---------------------------------------------------------------------------------------------
# Lambda base image
# ---------------------------------------------------------------------------------------------

# Builds the Debian rootfs once (marker file .rf-rootfs). debootstrap runs in a temporary
# directory beside it, so an interrupted build leaves nothing that looks finished.
_rf_lambda_rootfs() {
    local root="$RF_LAMBDA_ROOTFS" want
    want="suite=$RF_LAMBDA_SUITE packages=$RF_LAMBDA_ROOTFS_PACKAGES layout=1"
    if [[ -f "$root/.rf-rootfs" ]] && [[ "$(cat -- "$root/.rf-rootfs")" == "$want" ]]; then
        return 0
    fi
    command -v debootstrap >/dev/null 2>&1 || _rf_docker_apt_install || return 1
    local tmp="$root.tmp" log="$root.debootstrap.log" started=$SECONDS
    rm -rf -- "$tmp"
    mkdir -p -- "$tmp" "$RF_TOOLS_DIR/lambda-rootfs/cache" || return 1
    _rf_log "building a Debian $RF_LAMBDA_SUITE rootfs for the Lambda stand-in image (debootstrap, first use only) ..."
    if ! debootstrap --variant=minbase --include="$RF_LAMBDA_ROOTFS_PACKAGES" \
        --cache-dir="$RF_TOOLS_DIR/lambda-rootfs/cache" \
        "$RF_LAMBDA_SUITE" "$tmp" "$RF_DEBIAN_MIRROR" >"$log" 2>&1; then
        tail -n 20 -- "$log" >&2
        rm -rf -- "$tmp"
        _rf_die "debootstrap failed (log: $log)"
        return 1
    fi
    # What the AWS provided images have and SAM's rapid image relies on: the task and runtime
    # directories, /opt for layers, and the entry point of the real image (SAM replaces it with
    # /var/rapid/aws-lambda-rie; a plain `docker run IMAGE bootstrap` uses it). /var/runtime
    # stays empty: the emulator runs /var/runtime/bootstrap if it exists, else /var/task/bootstrap.
    mkdir -p -- "$tmp/var/task" "$tmp/var/runtime" "$tmp/var/lang/bin" "$tmp/opt" || return 1
    cat >"$tmp/lambda-entrypoint.sh" <<'SH'
#!/bin/sh
# Entry point of the riskfeedback stand-in for public.ecr.aws/lambda/provided (Debian).
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"
RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
[ -x "$RUNTIME_ENTRYPOINT" ] || RUNTIME_ENTRYPOINT="$LAMBDA_TASK_ROOT/bootstrap"
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ] && [ -x /usr/local/bin/aws-lambda-rie ]; then
  exec /usr/local/bin/aws-lambda-rie "$RUNTIME_ENTRYPOINT"
fi
exec "$RUNTIME_ENTRYPOINT"
SH
    chmod 755 "$tmp/lambda-entrypoint.sh" || return 1
    rm -rf -- "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"* 2>/dev/null || true
    printf '%s\n' "$want" >"$tmp/.rf-rootfs"
    rm -rf -- "$root"
    mv -- "$tmp" "$root" || return 1
    _rf_log "rootfs ready in $root ($((SECONDS - started))s)"
}

# Removes SAM's derived images of REPO:SUITE-* (the rapid image, and the layer variants under
# samcli/lambda-...), so the next invoke rebuilds them on the new base.
_rf_lambda_remove_derived() {
    local repo="$1" suite="$2" arch="$3" ref
    while IFS= read -r ref; do
        [[ -n "$ref" ]] || continue
        case "$ref" in
            "$repo:$suite-rapid-"* | "$repo:$suite-"*"-rapid-"* | "$repo:rapid-"* | \
                "samcli/lambda-${repo##*/}:$suite-$arch-"*)
                _rf_log "removing SAM's derived image $ref"
                docker rmi -f "$ref" >/dev/null 2>&1 || true
                ;;
        esac
    done < <(docker images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null || true)
}

rf_lambda_base_image() {
    local arch="${1:-}" host_arch
    case "$(uname -m)" in
        x86_64) host_arch=x86_64 ;;
        aarch64 | arm64) host_arch=arm64 ;;
        *) host_arch="$(uname -m)" ;;
    esac
    arch="${arch:-$host_arch}"
    local repo="public.ecr.aws/lambda/provided" suite=al2023
    local image="$repo:$suite-$arch"
    [[ -n "${DOCKER_HOST:-}" && -n "$RF_DOCKER_OWN" ]] || _rf_die "call rf_docker_up first" || return 1

    if [[ "$RF_DOCKER_OWN" == 0 && -z "$RF_DOCKER_PRIVATE" ]]; then
        if docker image inspect "$image" >/dev/null 2>&1; then
            return 0
        fi
        # The caller's engine may reach the registry: then the real image (SAM would pull it
        # too). The private engine exists for machines that cannot, so it never tries.
        local platform=linux/amd64
        [[ "$arch" == arm64 ]] && platform=linux/arm64
        if timeout 300 docker pull -q --platform "$platform" "$image" >/dev/null 2>&1; then
            _rf_log "pulled $image"
            return 0
        fi
        _rf_log "cannot pull $image on this engine; importing a stand-in"
    fi

    if [[ "$arch" != "$host_arch" ]]; then
        _rf_die "the stand-in for $image can only be built for this machine's architecture ($host_arch); use Architectures: [$host_arch] locally"
        return 1
    fi
    if [[ "$(id -u)" != 0 ]]; then
        _rf_die "building the stand-in for $image needs root (debootstrap)"
        return 1
    fi
    _rf_with_lock lambda-rootfs _rf_lambda_rootfs || return 1

    # The image carries the rootfs's stamp (and the emulator's checksum) as a label, so it is
    # imported again only when the rootfs changed.
    local stamp rie="" rie_sum=""
    for rie in "$RF_SAM_VENV"/lib/python*/site-packages/samcli/local/rapid/aws-lambda-rie-"$arch"; do
        [[ -f "$rie" ]] && break
        rie=""
    done
    [[ -z "$rie" ]] || rie_sum="$(cksum <"$rie" | cut -d' ' -f1)"
    stamp="$(cat -- "$RF_LAMBDA_ROOTFS/.rf-rootfs") rie=$rie_sum"
    local have
    have="$(docker image inspect --format '{{index .Config.Labels "rf.stand-in"}}' "$image" 2>/dev/null || true)"
    if [[ "$have" == "$stamp" ]]; then
        return 0
    fi

    # The stand-in is Debian, not Amazon Linux 2023: same layout, entry point and environment as
    # the AWS image (ENV, WORKDIR, ENTRYPOINT below copy its config), but glibc 2.36 instead of
    # 2.34 and Debian's libraries, so a binary that runs here may still fail on the real runtime.
    # LANG is C.UTF-8: minbase has no en_US locale.
    local started=$SECONDS old_id
    old_id="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
    _rf_log "importing $image (Debian $RF_LAMBDA_SUITE stand-in for Amazon Linux 2023) ..."
    if [[ -n "$rie" ]]; then
        # The emulator at the path of the real image, for a plain `docker run -p 9000:8080 IMAGE bootstrap`.
        install -D -m 755 "$rie" "$RF_LAMBDA_ROOTFS/usr/local/bin/aws-lambda-rie" || return 1
    fi
    if ! tar -C "$RF_LAMBDA_ROOTFS" --numeric-owner --exclude=./.rf-rootfs --exclude='./dev/*' \
        --exclude='./proc/*' --exclude='./sys/*' -c . |
        docker import \
            --change 'ENV LANG=C.UTF-8' \
            --change 'ENV TZ=:/etc/localtime' \
            --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin' \
            --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
            --change 'ENV LAMBDA_TASK_ROOT=/var/task' \
            --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
            --change 'WORKDIR /var/task' \
            --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' \
            --change "LABEL rf.stand-in=\"$stamp\"" \
            --message "riskfeedback: Debian $RF_LAMBDA_SUITE stand-in for $image" \
            - "$image" >/dev/null; then
        _rf_die "docker import of $image failed"
        return 1
    fi
    _rf_lambda_remove_derived "$repo" "$suite" "$arch"
    if [[ -n "$old_id" ]]; then
        docker rmi "$old_id" >/dev/null 2>&1 || true
    fi
    _rf_log "imported $image in $((SECONDS - started))s"
}

# ---------------------------------------------------------------------------------------------
# SAM
# ---------------------------------------------------------------------------------------------

# rf_sam ARGS... : $RF_SAM_VENV/bin/sam, kept off the network. Without this, every `sam local
# invoke` first asks STS for the account id (GetCallerIdentity), and with no way out it retries
# for 2-12 s before it gives up; telemetry would be sent too. Neither setting reaches the
# function's container (SAM passes only its own AWS_* variables and the template's).
rf_sam() {
    [[ -x "$RF_SAM_VENV/bin/sam" ]] || _rf_die "SAM CLI is not installed; call rf_install_sam first" || return 1
    SAM_CLI_TELEMETRY=0 AWS_ENDPOINT_URL_STS="http://127.0.0.1:1" AWS_MAX_ATTEMPTS=1 \
        "$RF_SAM_VENV/bin/sam" "$@"
}
