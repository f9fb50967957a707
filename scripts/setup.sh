# Sourced by scripts/app and scripts/test: installs whatever is missing on a Debian/Ubuntu machine.
# Safe to run again: every step first checks whether its work is already done.
#
# Run as root, as a normal user (apt steps then use sudo), or via sudo: then the system packages
# are installed as root and everything else (cargo, npm, the build) runs as the user who called
# sudo, so no root-owned files end up in their checkout or home.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# System packages needed to build and run the desktop app (Tauri 2 on WebKitGTK 4.1).
# libssl-dev is the OpenSSL that SQLCipher (the encrypted store) is compiled and linked with.
APP_PACKAGES=(build-essential pkg-config curl ca-certificates libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev)
# Extra packages for the tests: a virtual display, the WebDriver server of WebKitGTK, and the
# PostgreSQL server the district store's conformance tests run against; the fuzz targets' build
# links the system's zstd (scripts/fuzz).
TEST_PACKAGES=(xvfb webkit2gtk-driver xdotool locales postgresql libzstd-dev)

# Each step says how long the run has taken so far, so a slow cold run shows where its time went.
say() { printf '\033[1m==> %s\033[0m (at %dm%02ds)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)) >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "Installing system packages needs root: run this command as root or with sudo."; exit 1
  fi
}

install_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # Node.js and npm: any packaged version from 18 on builds the interface.
  command -v npm >/dev/null || missing+=(nodejs npm)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "Installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# When started via sudo, hand over to the calling user once the system packages are in.
drop_sudo() {
  if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "${SUDO_USER}" != root ]; then
    say "Continuing as ${SUDO_USER}"
    exec sudo -u "$SUDO_USER" -H env "PATH=$PATH" SAMANVAYA_PACKAGES_DONE=1 "$@"
  fi
}

ensure_rust() {
  [ -d "$HOME/.cargo/bin" ] && export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v cargo >/dev/null; then
    say "Installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  # rust-toolchain.toml pins the version; rustup installs it here if it is missing.
  (cd "$REPO" && cargo --version >/dev/null)
}

ensure_ui() {
  if [ ! -d "$REPO/ui/node_modules" ] || [ "$REPO/ui/package-lock.json" -nt "$REPO/ui/node_modules/.package-lock.json" ]; then
    say "Installing the interface's npm packages"
    # npm install, not npm ci: npm 11 writes lock files with only this platform's optional
    # packages and then refuses them in npm ci; npm install keeps to the lock without rewriting it.
    (cd "$REPO/ui" && npm install --no-fund --no-audit --loglevel=error)
  fi
  say "Building the interface"
  (cd "$REPO/ui" && npm run --silent build)
}

ensure_window_locale() {
  # The window tests run the app in a US English locale, where the webview's own date input read
  # dates month first: the app's date entry must not depend on it.
  if ! locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$'; then
    say "Generating the en_US.UTF-8 locale for the window tests"
    as_root localedef -i en_US -f UTF-8 en_US.UTF-8
  fi
}

ensure_window_test_tools() {
  ensure_window_locale
  ensure_window_driver
}

# tauri-driver and the tests' npm packages: nothing here needs root, so `scripts/test` can do it
# in the background while the stories run.
ensure_window_driver() {
  if ! command -v tauri-driver >/dev/null; then
    say "Installing tauri-driver"
    # Unoptimised: it only passes the tests' WebDriver requests on, and it builds in 31 s of the
    # two cores rather than 47 s (docs/ci-time.md), on a fresh machine beside the tests. In a
    # build folder of its own: in the tests' (CARGO_TARGET_DIR) its debug build would hold the
    # lock `cargo test` waits on (found by a review), and leave its pieces in their cache.
    local built
    built="$(mktemp -d)"
    cargo install tauri-driver --debug --locked --version 2.1.0 --target-dir "$built"
    rm -rf "$built"
  fi
  if [ ! -d "$REPO/tests/window/node_modules" ] || [ "$REPO/tests/window/package-lock.json" -nt "$REPO/tests/window/node_modules/.package-lock.json" ]; then
    (cd "$REPO/tests/window" && npm install --no-fund --no-audit --loglevel=error)
  fi
}

# A throwaway PostgreSQL server for the tests: a cluster of its own in the temporary folder,
# reached only through a Unix socket there, on a port of its own, so it never touches a system
# cluster or a developer's databases. `stop_postgres` ends it.
PG_TEST_DIR="${TMPDIR:-/tmp}/samanvaya-pg-$(id -u)"
PG_TEST_PORT=54329

pg_bin() {
  # initdb refuses to run as root; the postgresql package made the postgres user for this.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$bin" ]; then
    say "PostgreSQL's server is missing: install the postgresql package"
    exit 1
  fi
  if [ ! -f "$PG_TEST_DIR/data/PG_VERSION" ]; then
    rm -rf "$PG_TEST_DIR"
    mkdir -p "$PG_TEST_DIR"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_TEST_DIR"; fi
    pg_bin "$bin/initdb" -D "$PG_TEST_DIR/data" -U samanvaya -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$PG_TEST_DIR/initdb.log" 2>&1 || { cat "$PG_TEST_DIR/initdb.log"; exit 1; }
  fi
  if ! pg_bin "$bin/pg_ctl" -D "$PG_TEST_DIR/data" status >/dev/null 2>&1; then
    say "Starting a throwaway PostgreSQL server in $PG_TEST_DIR"
    # fsync off: the test server's data is thrown away, and waiting for the disk only slows tests.
    pg_bin "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w \
      -o "-k $PG_TEST_DIR -p $PG_TEST_PORT -c listen_addresses= -c fsync=off" start >/dev/null
  fi
  export SAMANVAYA_TEST_POSTGRES="host=$PG_TEST_DIR port=$PG_TEST_PORT user=samanvaya"
  export SAMANVAYA_REQUIRE_POSTGRES=1
}

stop_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$bin" ] && [ -f "$PG_TEST_DIR/data/PG_VERSION" ]; then
    pg_bin "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -m fast stop >/dev/null 2>&1 || true
  fi
}
