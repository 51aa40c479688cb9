#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages, when it is missing: PostgreSQL
# (the store's second backend), Chromium and its WebDriver (the browser tests), a CJK font
# (so screenshots of Chinese pages are legible), and the mail servers the email tests start
# with TLS on: Dovecot (IMAPS) and aiosmtpd (a relay wanting STARTTLS/TLS and AUTH), with
# openssl for their certificates and swaks (crates/kefu-mail/tests/tools/ made fixtures with it). Called by scripts/test.sh, so the README's
# test command alone passes on a bare machine. Needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
[ -x /usr/bin/openssl ] || missing+=(openssl)
[ -x /usr/bin/swaks ] || missing+=(swaks)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing the tests' packages from Debian: ${missing[*]}" >&2
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi
