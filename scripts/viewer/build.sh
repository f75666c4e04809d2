#!/usr/bin/env bash
# Rebuild the viewer's three.js bundle from the npm registry (run by hand when updating three;
# the result is committed, so installing or running momo never needs node or the network).
#   bash scripts/viewer/build.sh [THREE_VERSION]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-0.187.0}"
vendor="$here/../../src/momo/app/static/vendor"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
cp "$here/three-entry.js" "$build/"
cd "$build"
npm install --no-save --no-audit --no-fund "three@$version" esbuild@0.28.2 >/dev/null
npx esbuild three-entry.js --bundle --minify --format=esm --legal-comments=none \
  --banner:js="/* three.js ${version} (MIT, see LICENSE-three.txt): the subset momo's viewer uses */" \
  --outfile="$vendor/three-viewer.min.js"
cp node_modules/three/LICENSE "$vendor/LICENSE-three.txt"
ls -l "$vendor"
