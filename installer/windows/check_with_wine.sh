#!/usr/bin/env bash
# Check thetadesk.iss on Linux: compile it with the real Inno Setup compiler under Wine, then
# install, upgrade and uninstall silently, per-user, and look at what each step left behind.
#
#   bash installer/windows/check_with_wine.sh
#
# The payload is a stand-in (two copies of Wine's hostname.exe and a data file), since the
# PyInstaller app itself can only be built on Windows; this checks the installer, not the app.
#
# Needs: wine with 32-bit support (ISCC.exe is 32-bit; on Debian: dpkg --add-architecture
# i386, then wine wine32:i386), Xvfb (Setup's wizard needs a display even when silent), npm
# (ISCC 6.4.1 comes from the npm package "innosetup"). Everything goes under build/wine-check.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/build/wine-check"
ISS_DIR="$ROOT/installer/windows"
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all

log() { printf '[check_with_wine] %s\n' "$*"; }
die() { printf '[check_with_wine] FAILED: %s\n' "$*" >&2; exit 1; }
for tool in wine wineboot wineserver Xvfb npm; do
    command -v "$tool" > /dev/null || die "$tool is not installed"
done

mkdir -p "$WORK"
if [ ! -f "$WORK/node_modules/innosetup/bin/ISCC.exe" ]; then
    log "fetching Inno Setup 6.4.1 (npm package innosetup)"
    npm install --silent --prefix "$WORK" innosetup@6.4.1 > /dev/null
fi
ISCC="$WORK/node_modules/innosetup/bin/ISCC.exe"

display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1024x768x24 -ac > "$WORK/xvfb.log" 2>&1 &
xvfb_pid=$!
cleanup() { wineserver -k 2> /dev/null || true; kill "$xvfb_pid" 2> /dev/null || true; }
trap cleanup EXIT
export DISPLAY="$display"

if [ ! -d "$WINEPREFIX" ]; then
    log "creating a Wine prefix (Windows 10)"
    wineboot -i > /dev/null 2>&1
    wine winecfg /v win10 > /dev/null 2>&1
fi

# Two stand-in builds: 0.1.0 has a file the upgrade must remove.
host_exe="$WINEPREFIX/drive_c/windows/system32/hostname.exe"
for version in 0.1.0 0.2.0rc1; do
    payload="$WORK/payload-$version"
    rm -rf "$payload"
    mkdir -p "$payload/_internal"
    cp "$host_exe" "$payload/thetadesk.exe"
    cp "$host_exe" "$payload/thetadesk-cli.exe"
    echo "$version" > "$payload/_internal/base_library.zip"
done
echo stale > "$WORK/payload-0.1.0/_internal/stale.txt"

compile() {  # version numbers
    (cd "$ISS_DIR" && wine "$ISCC" /Q "/DAppVersion=$1" "/DVersionNumbers=$2" \
        "/DSourceDir=$(winepath -w "$WORK/payload-$1")" "/O$(winepath -w "$WORK/out")" \
        thetadesk.iss) || die "ISCC could not compile thetadesk.iss for $1"
}
compile 0.1.0 0.1.0
compile 0.2.0rc1 0.2.0
log "compiled: $(cd "$WORK/out" && echo *.exe)"

appdata="$(winepath -u "$(wine cmd /c echo %LOCALAPPDATA% 2> /dev/null | tr -d '\r')")"
app="$appdata/Programs/thetadesk"
uninstall_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\{E1BAE9DE-7FE8-4F02-A556-32D22214D90C}_is1'

setup() {  # version
    wine "$WORK/out/thetadesk-$1-windows-x64-setup.exe" /VERYSILENT /SUPPRESSMSGBOXES \
        /NORESTART "/LOG=$(winepath -w "$WORK/setup-$1.log")" > /dev/null 2>&1 \
        || die "setup $1 failed; see $WORK/setup-$1.log"
    grep -q "Administrative install mode: No" "$WORK/setup-$1.log" \
        || die "setup $1 did not run as a per-user install"
}

setup 0.1.0
if [ ! -f "$app/thetadesk.exe" ] || [ ! -f "$app/_internal/stale.txt" ]; then die "0.1.0 not in $app"; fi
log "0.1.0 installed per-user in $app"

setup 0.2.0rc1
[ -f "$app/thetadesk-cli.exe" ] || die "0.2.0rc1 lost thetadesk-cli.exe"
[ ! -e "$app/_internal/stale.txt" ] || die "the upgrade left a file of the old build"
grep -q "0.2.0rc1" "$app/_internal/base_library.zip" || die "the upgrade kept old files"
wine reg query "$uninstall_key" 2> /dev/null | grep -q "DisplayVersion.*0.2.0rc1" \
    || die "no per-user uninstall entry for 0.2.0rc1"
start_menu="$appdata/../Roaming/Microsoft/Windows/Start Menu/Programs/thetadesk.lnk"
[ -f "$start_menu" ] || die "no Start menu shortcut at $start_menu"
log "upgraded to 0.2.0rc1: old files gone, HKCU uninstall entry and Start menu shortcut there"

wine "$app/unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART > /dev/null 2>&1 \
    || die "the uninstaller failed"
for _ in $(seq 1 20); do [ -e "$app" ] || break; sleep 0.5; done
[ ! -e "$app" ] || die "the uninstaller left $app"
[ ! -e "$start_menu" ] || die "the uninstaller left the Start menu shortcut"
if wine reg query "$uninstall_key" > /dev/null 2>&1; then die "the uninstall entry is still there"; fi
log "uninstalled: folder, shortcut and uninstall entry gone"
log "passed"
