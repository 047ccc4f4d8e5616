#!/usr/bin/env bash
# Builds the previous release's `campus` for the rolling-upgrade test
# (crates/campus/tests/api/rolling_upgrade.rs): the code as it was just before the newest
# migration, so that the contexts that migration changed run on the schema it makes. Leaves
# the binary at target/previous-release/campus; builds nothing (and says why) when this
# checkout's history does not reach that far.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
out="$repo/target/previous-release"

newest="$(git log -1 --format=%H -- 'crates/*/migrations/*' 2>/dev/null || true)"
if [ -z "$newest" ] || ! git cat-file -e "$newest^{commit}" 2>/dev/null || ! git cat-file -e "$newest^" 2>/dev/null; then
  echo "previous release: no commit before the newest migration in this checkout's history; the rolling-upgrade test will say it skipped"
  exit 0
fi
previous="$(git rev-parse --short "$newest^")"
echo "previous release: $previous (the code before $(git rev-parse --short "$newest"), the newest migration)"

mkdir -p "$out"
rm -rf "$out/source"
git worktree prune
git worktree add --detach --force "$out/source" "$previous" >/dev/null
# In the shared target directory, so the dependencies the two releases share are compiled
# once (the previous release's own crates take a minute or two).
(cd "$out/source" && CARGO_TARGET_DIR="$repo/target" cargo build -p campus --locked --quiet)
cp "$repo/target/debug/campus" "$out/campus"
git worktree remove --force "$out/source"
# Cargo records a workspace crate's sources by their path inside the workspace, so the files it
# compiled for the previous release look like this checkout's: newer times make it compile
# this checkout's own again instead of taking the previous release's for them.
find crates -type f -exec touch {} +
echo "previous release: $out/campus"
