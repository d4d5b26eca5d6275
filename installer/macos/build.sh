#!/usr/bin/env bash
# Build thetadesk.app and a drag-to-Applications .dmg on macOS.
#
#   bash installer/macos/build.sh          # from anywhere; PYTHON=... picks the interpreter
#
# Steps: PyInstaller with build_installer.spec -> sign the .app -> verify the signature ->
# `thetadesk-cli --self-test` on the signed app (so hardened-runtime trouble shows up here)
# -> .dmg with the app and an /Applications link -> sign the .dmg -> notarize and staple.
#
# The Python used must have the app and PyInstaller installed: pip install '.[installer]'.
# The .app and .dmg are built for that Python's architecture (arm64 or x86_64).
#
# Optional environment:
#   MACOS_SIGNING_IDENTITY        "Developer ID Application: Name (TEAMID)", in a keychain on
#                                 the search list. Unset: ad-hoc signature (runs on the
#                                 building Mac; Gatekeeper blocks it elsewhere).
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_SPECIFIC_PASSWORD
#                                 notarize with `xcrun notarytool` and staple the ticket
#                                 (needs MACOS_SIGNING_IDENTITY too).
#   THETADESK_CONSOLE, THETADESK_DEBUG   passed through to the spec.
#
# Runs with macOS's /bin/bash 3.2: no bash 4 features.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
DIST="$ROOT/dist"
WORK="$ROOT/build"
APP="$DIST/thetadesk.app"
ENTITLEMENTS="$ROOT/installer/macos/entitlements.plist"
IDENTITY="${MACOS_SIGNING_IDENTITY:-}"

log() { printf '[macos/build.sh] %s\n' "$*"; }
die() { printf '[macos/build.sh] error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -s)" = "Darwin" ] || die "this script runs on macOS (Linux: installer/build_linux.py)"
cd "$ROOT"

# The version as the spec reads it: parsed from the package, not imported.
VERSION="$(sed -n -E 's/^__version__ = "([^"]+)".*/\1/p' thetadesk/__init__.py)"
[ -n "$VERSION" ] || die "no __version__ in thetadesk/__init__.py"
ARCH="$("$PYTHON" -c 'import platform; print(platform.machine())')"
DMG="$DIST/thetadesk-$VERSION-macos-$ARCH.dmg"
log "thetadesk $VERSION for $ARCH with $("$PYTHON" --version)"

# -- 1. the app -------------------------------------------------------------------------------
# A failure to sign the bundle is only a warning in PyInstaller unless this is set.
export PYINSTALLER_STRICT_BUNDLE_CODESIGN_ERROR=1
"$PYTHON" -m PyInstaller --noconfirm --clean --distpath "$DIST" --workpath "$WORK" \
    "$ROOT/build_installer.spec"
[ -x "$APP/Contents/MacOS/thetadesk" ] || die "PyInstaller made no $APP"

# -- 2. signature -----------------------------------------------------------------------------
# PyInstaller has already signed every binary inside (with the identity, the hardened runtime
# and the entitlements when MACOS_SIGNING_IDENTITY is set; ad hoc otherwise). Sign the bundle
# itself last, so its seal covers the final contents.
if [ -n "$IDENTITY" ]; then
    log "signing with \"$IDENTITY\" (hardened runtime)"
    codesign --force --options runtime --timestamp --entitlements "$ENTITLEMENTS" \
        --sign "$IDENTITY" "$APP"
else
    log "no MACOS_SIGNING_IDENTITY: ad-hoc signature"
    codesign --force --deep --sign - "$APP"
fi
codesign --verify --deep --strict --verbose=2 "$APP"

# -- 3. smoke test the signed app -------------------------------------------------------------
"$APP/Contents/MacOS/thetadesk-cli" --self-test
"$APP/Contents/MacOS/thetadesk" --version

# -- 4. disk image: the app next to a link to /Applications ----------------------------------
STAGING="$WORK/dmg-staging"
rm -rf "$STAGING" "$DMG"
mkdir -p "$STAGING"
ditto "$APP" "$STAGING/thetadesk.app"  # ditto keeps symlinks, permissions and signatures
ln -s /Applications "$STAGING/Applications"
# hdiutil sometimes fails with "Resource busy" on CI machines; a retry gets through.
attempt=1
until hdiutil create -volname "thetadesk $VERSION" -srcfolder "$STAGING" -fs HFS+ \
        -format UDZO -ov "$DMG"; do
    [ "$attempt" -lt 3 ] || die "hdiutil create failed $attempt times"
    attempt=$((attempt + 1))
    log "hdiutil create failed; retrying ($attempt of 3)"
    sleep 5
done
rm -rf "$STAGING"

if [ -n "$IDENTITY" ]; then
    codesign --force --timestamp --sign "$IDENTITY" "$DMG"
    codesign --verify --verbose=2 "$DMG"
fi

# -- 5. notarization --------------------------------------------------------------------------
if [ -n "$IDENTITY" ] && [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] \
        && [ -n "${APPLE_APP_SPECIFIC_PASSWORD:-}" ]; then
    log "notarizing $DMG (this waits for Apple)"
    # Judge by the status in notarytool's JSON, not its exit code (which depends on the
    # version); "|| true" so a non-zero exit still reaches the log below instead of set -e.
    result="$(xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_SPECIFIC_PASSWORD" --wait --output-format json)" || true
    json_field() {  # prints "" when the input is not the JSON expected
        "$PYTHON" -c 'import json, sys
try:
    print(json.load(sys.stdin).get(sys.argv[1], ""))
except ValueError:
    print("")' "$1"
    }
    status="$(printf '%s' "$result" | json_field status)"
    submission="$(printf '%s' "$result" | json_field id)"
    if [ "$status" != "Accepted" ]; then
        log "notarization status: ${status:-unknown}; Apple's log follows"
        if [ -n "$submission" ]; then
            xcrun notarytool log "$submission" --apple-id "$APPLE_ID" \
                --team-id "$APPLE_TEAM_ID" --password "$APPLE_APP_SPECIFIC_PASSWORD" || true
        fi
        die "notarization failed"
    fi
    xcrun stapler staple "$DMG"
    xcrun stapler validate "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG"
elif [ -n "$IDENTITY" ]; then
    log "signed but not notarized: set APPLE_ID, APPLE_TEAM_ID, APPLE_APP_SPECIFIC_PASSWORD"
fi

log "app:  $APP ($(du -sh "$APP" | cut -f1))"
log "dmg:  $DMG ($(du -h "$DMG" | cut -f1))"
