#!/usr/bin/env bash
# The real Backstage catalog backend that the live tests and benchmarks run against.
#
#   .ci/backstage.sh check     say what the install lacks (Node 20+, npm, a C++ toolchain), in one go
#   .ci/backstage.sh install   copy ../shared/backstage to .cache/backstage and npm ci there
#   .ci/backstage.sh start     start it (PORTAL_BACKSTAGE_PORT / _SEED / _TOKEN / _TIMEOUT pass through)
#   .ci/backstage.sh stop      stop the backend recorded in PORTAL_BACKSTAGE_PIDFILE
#
# shared/ is read-only in CI, so everything written (node_modules, pid, log) lives in
# the git-ignored .cache/ of the project.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${PORTAL_LINT_SHARED:-$(dirname "$ROOT")/shared}
SRC=$SHARED/backstage
DEST=$ROOT/.cache/backstage
export PORTAL_BACKSTAGE_PIDFILE=${PORTAL_BACKSTAGE_PIDFILE:-$ROOT/.cache/backstage.pid}
export PORTAL_BACKSTAGE_LOG=${PORTAL_BACKSTAGE_LOG:-$ROOT/.cache/backstage.log}

log() { echo "backstage.sh: $*" >&2; }

# Files that are ours in the copy, not the source's: never compared or overwritten.
LOCAL_ONLY=(node_modules .lock-sha backstage.pid backstage.log)

is_local_only() {
  local name=$1 x
  for x in "${LOCAL_ONLY[@]}"; do [ "$name" = "$x" ] && return 0; done
  return 1
}

copy_differs() {
  [ -d "$DEST" ] || return 0
  local excludes=() x
  for x in "${LOCAL_ONLY[@]}"; do excludes+=(--exclude="$x"); done
  ! diff -rq "${excludes[@]}" "$SRC" "$DEST" >/dev/null 2>&1
}

sync_copy() {
  mkdir -p "$DEST"
  local entry name
  # Remove what the source no longer has, so a deleted seed file does not linger.
  for entry in "$DEST"/* "$DEST"/.[!.]*; do
    [ -e "$entry" ] || continue
    name=$(basename "$entry")
    is_local_only "$name" && continue
    [ -e "$SRC/$name" ] || rm -rf "$entry"
  done
  for entry in "$SRC"/* "$SRC"/.[!.]*; do
    [ -e "$entry" ] || continue
    name=$(basename "$entry")
    is_local_only "$name" && continue
    rm -rf "${DEST:?}/$name"
    cp -R "$entry" "$DEST/$name"
  done
  # CI's shared copy has no write bits; the copy must be writable to be updated later.
  find "$DEST" -path "$DEST/node_modules" -prune -o -exec chmod u+w {} +
}

installed() {
  # npm writes its hidden lockfile only when a whole install succeeded; the native
  # sqlite binding is the part that fails to build when a toolchain is missing.
  [ -f "$DEST/node_modules/.package-lock.json" ] &&
    [ -f "$DEST/node_modules/better-sqlite3/build/Release/better_sqlite3.node" ]
}

# Node 20 is what the backend is tested on. `npm ci` warns EBADENGINE for two packages that
# declare node>=22 (nunjitsu, ts-json-schema-generator); the catalog backend never runs
# their code (scaffolder templating, config schemas from TypeScript sources).
NODE_MAJOR_MIN=20

check() {
  local missing=() major
  if ! command -v node >/dev/null; then
    missing+=("node (version $NODE_MAJOR_MIN or later)")
  else
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    (( major >= NODE_MAJOR_MIN )) || missing+=("node $NODE_MAJOR_MIN or later (found $(node --version))")
  fi
  command -v npm >/dev/null || missing+=("npm")
  if ! installed; then
    # npm ci compiles better-sqlite3 from source: node-gyp needs these.
    command -v make >/dev/null || missing+=("make")
    command -v c++ >/dev/null || command -v g++ >/dev/null || missing+=("a C++ compiler (g++)")
    command -v python3 >/dev/null || missing+=("python3")
    [ -f "$SRC/package-lock.json" ] || missing+=("the Backstage backend at $SRC (set PORTAL_LINT_SHARED to the shared folder)")
  fi
  if (( ${#missing[@]} )); then
    log "the live-catalog tests need what is missing here: $(IFS=';'; echo "${missing[*]}" | sed 's/;/, /g')."
    log "On Debian/Ubuntu: apt install nodejs npm build-essential python3 (Node $NODE_MAJOR_MIN+);"
    log "or skip those tests: PORTAL_LINT_SKIP_LIVE=1 ./scripts/test.sh"
    return 1
  fi
}

install() {
  check || exit 1
  if [ ! -f "$SRC/package-lock.json" ]; then
    if installed; then
      log "no Backstage backend at $SRC; using the existing copy in $DEST"
      return 0
    fi
    log "no Backstage backend at $SRC (set PORTAL_LINT_SHARED to the shared folder)"
    exit 1
  fi
  mkdir -p "$ROOT/.cache"
  # Two test sessions starting at once must not run npm ci into the same folder.
  exec 9>"$ROOT/.cache/backstage.install.lock"
  flock 9

  local sha lock_changed=0
  sha=$(sha256sum "$SRC/package-lock.json" | cut -d' ' -f1)
  if [ -f "$DEST/.lock-sha" ]; then
    [ "$(cat "$DEST/.lock-sha")" = "$sha" ] || lock_changed=1
  elif ! cmp -s "$SRC/package-lock.json" "$DEST/package-lock.json" 2>/dev/null; then
    # No record of what was installed and the copy's lock differs: assume stale.
    lock_changed=1
  fi

  if copy_differs; then
    log "copying $SRC to $DEST"
    sync_copy
  fi

  if (( lock_changed )) || ! installed; then
    log "npm ci in $DEST (about 100 s: compiles better-sqlite3)"
    rm -f "$DEST/.lock-sha"
    (cd "$DEST" && npm ci --no-audit --no-fund >&2)
    installed || { log "npm ci finished but better-sqlite3 was not built (needs gcc, make, python3)"; exit 1; }
  fi
  echo "$sha" >"$DEST/.lock-sha"
  # Release the lock here: `start` execs into start.sh, whose backend would inherit it.
  exec 9>&-
}

case "${1:-}" in
  check) check ;;
  install) install ;;
  start)
    install
    exec "$DEST/start.sh"
    ;;
  stop)
    if [ -x "$DEST/stop.sh" ]; then
      exec "$DEST/stop.sh"
    fi
    log "nothing to stop: $DEST/stop.sh is missing"
    ;;
  *)
    echo "usage: $0 check|install|start|stop" >&2
    exit 2
    ;;
esac
