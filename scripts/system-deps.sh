#!/usr/bin/env bash
# Debian packages the project uses outside Python. Installs only what is missing,
# and only when it can (root, apt-get present); otherwise says what to install.
#   fonts-wqy-zenhei          CJK TrueType font embedded in PDF replies (needed)
#   fonts-hanazono            HanaMinA/B: names with CJK Extension A–F characters (GB 18030-2022)
#   fonts-babelstone-han      BabelStone Han: Extensions G and H, as far as a Debian font goes
#   libreoffice-writer-nogui  .doc/.wps letters, and tests that open replies in LibreOffice
#   libreoffice-calc-nogui    .xls/.et roster spreadsheets
#   poppler-utils             pdftoppm, to look at replies as images (optional)
#   postgresql                the PostgreSQL test backend (CI)
set -u
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(fonts-wqy-zenhei fonts-hanazono fonts-babelstone-han)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  # Another apt (an unattended upgrade, a second terminal) may hold the package lock: wait for it,
  # up to LOCK_WAIT seconds, instead of failing at once with apt's raw message.
  wait_lock=(-o "DPkg::Lock::Timeout=${LOCK_WAIT:-600}")
  log=$(mktemp)
  if ! { apt-get "${wait_lock[@]}" update -qq && \
         apt-get "${wait_lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } 2>"$log"; then
    echo "安装系统软件包失败：${missing[*]}。" >&2
    if grep -qi "lock" "$log"; then
      echo "另一个安装程序（apt）一直占用软件包锁，等待 ${LOCK_WAIT:-600} 秒后仍未释放；请等它结束后重试。" >&2
    else
      echo "请检查网络和软件源后重试，或手动执行：sudo apt-get install ${missing[*]}" >&2
    fi
    echo "apt said:" >&2
    tail -5 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
else
  echo "请先安装系统软件包 / please install: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
