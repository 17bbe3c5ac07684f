#!/usr/bin/env bash
# README's path, literally, on a fresh folder: default settings (no letters.toml, no LETTERS_*),
# relative paths, a list imported as README says, one letter through `letters process` and one
# through `letters watch --web` (what `make run` starts), a reply out for each.
#   scripts/readme_path.sh LIST.csv LETTER_FOR_PROCESS LETTER_FOR_WATCH
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
letters="$root/.venv/bin/letters"
list=$(realpath "$1"); first=$(realpath "$2"); second=$(realpath "$3")
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
git -C "$root" ls-files -z | (cd "$root" && xargs -0 tar -c) | tar -x -C "$work"  # a clone's files
cd "$work"
for key in $(env | grep -o '^LETTERS_[A-Z_]*' || true); do unset "$key"; done
cp "$list" 名单.csv
"$letters" records import 名单.csv --list 失信被执行人
cp "$first" "来函.${first##*.}"
"$letters" process "来函.${first##*.}" | tee process.out
grep -q 已生成复函 process.out || { echo "README path: letters process gave no reply" >&2; exit 1; }
"$letters" watch --web >watch.out 2>&1 &
pid=$!
cp "$second" "inbox/第二封来函.${second##*.}"
for _ in $(seq 180); do
  [ "$(find outbox -type f | wc -l)" -ge 4 ] && break
  kill -0 "$pid" 2>/dev/null || { cat watch.out >&2; echo "README path: letters watch stopped" >&2; exit 1; }
  sleep 1
done
kill "$pid"; wait "$pid" || true; pid=""
"$letters" cases | tee cases.out
ls -l outbox
if [ "$(find outbox -type f | wc -l)" -lt 4 ] || grep -q 系统内部错误 watch.out process.out; then
  cat watch.out >&2
  echo "README path: letters watch gave no reply" >&2
  exit 1
fi
echo "README path: a list imported, two letters replied (process and watch), default settings."
