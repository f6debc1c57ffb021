#!/usr/bin/env bash
# genweb.sh regenerates the committed outputs of web/, the page that
# `serve --web` embeds: the TypeScript generated from the gateway's proto
# (web/src/gen) and the bundle (web/dist/app.js). It works in a scratch copy
# with `npm ci`, so the npm packages are exactly those of the committed
# web/package-lock.json, type-checks, and bundles with esbuild.
#
#   scripts/genweb.sh          write into web/
#   scripts/genweb.sh OUTDIR   write OUTDIR/src/gen and OUTDIR/dist (the
#                              staleness test compares them with web/)
#
# Needs Node.js 20+ with npm, and protoc (Debian: apt-get install nodejs
# npm protobuf-compiler).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/web}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root"/web/package.json "$root"/web/package-lock.json "$root"/web/tsconfig.json "$work"/
(cd "$root/web" && find src -path src/gen -prune -o -type f -print) | while read -r f; do
  mkdir -p "$work/$(dirname "$f")"
  cp "$root/web/$f" "$work/$f"
done

cd "$work"
npm ci --no-audit --no-fund --prefer-offline --loglevel=error >&2
mkdir -p src/gen
PROTO_DIR="$root/proto" npm run --silent gen
npm run --silent check
npm run --silent build >&2

mkdir -p "$out/src" "$out/dist"
rm -rf "$out/src/gen"
cp -R src/gen "$out/src/gen"
cp dist/app.js "$out/dist/app.js"
