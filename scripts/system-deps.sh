#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real peers, when they are missing:
#   openssl   makes the X.509 certificates and keys the tests use
#   xmlsec1   signs and encrypts SAML responses independently of our code
#   chromium  runs the browser tests (driven by playwright-core; never a downloaded browser)
#   postgresql  initdb and pg_ctl start a throwaway cluster for the PostgreSQL store tests
#               (test/support/postgres.ts); the packaged cluster, if any, is never used
# Only Debian's apt is used. Without root or apt-get it says what to install and fails.
set -euo pipefail
missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${missing[*]} — install them (e.g. sudo apt-get install ${missing[*]}) and run again" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
