#!/usr/bin/env bash
# The system packages walcat's tests, local stack and benchmarks need, from Debian. `npm run setup` and .ci/run both
# run this script; it is the one place that lists them (test/support/system-needs.test.ts checks the list against
# what the code uses).
#
#   scripts/setup-system.sh          install what is missing: as root directly, else through `sudo -n`; when neither
#                                    works, stop at once naming the exact command to run
#   scripts/setup-system.sh --check  install nothing: exit 0 when everything is present, else 1 naming the command
#
# WALCAT_SETUP_ROOT (tests only) is prepended to the absolute probe paths, to check a machine without the packages.
set -euo pipefail

# package:probe, where probe is an absolute file the package installs or a command it puts on the PATH.
PACKAGES=(
  "postgresql-15:/usr/lib/postgresql/15/bin/initdb"
  "chromium:/usr/bin/chromium"
  "daemontools:envdir"
  "pgbackrest:pgbackrest"
  "openssl:openssl"
)

# command:install command, for tools the tests need that Debian does not package here; the set-up checks them and
# names the command, it does not install them.
OTHER_TOOLS=(
  "moto_server:pip install 'moto[server]'"
  "python3:pip install boto3"
  "cfn-lint:pip install cfn-lint"
)

mode=install
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "walcat setup: unknown option $1; use scripts/setup-system.sh [--check]" >&2; exit 2 ;;
esac

root="${WALCAT_SETUP_ROOT:-}"
other_missing=()
for entry in "${OTHER_TOOLS[@]}"; do
  tool="${entry%%:*}"
  if ! command -v "$tool" >/dev/null 2>&1; then
    other_missing+=("$entry")
  elif [[ $tool == python3 ]] && ! python3 -c 'import boto3' >/dev/null 2>&1; then
    # python3 alone is not enough: the test provisions IAM users in moto with boto3.
    other_missing+=("$entry")
  fi
done
report_other() {
  for entry in "${other_missing[@]}"; do
    echo "walcat setup: ${entry%%:*} is missing (not a Debian package); run: ${entry#*:}" >&2
  done
  [[ ${#other_missing[@]} -eq 0 ]]
}
missing=()
for entry in "${PACKAGES[@]}"; do
  package="${entry%%:*}"
  probe="${entry#*:}"
  if [[ $probe == /* ]]; then
    [[ -e "$root$probe" ]] || missing+=("$package")
  else
    command -v "$probe" >/dev/null 2>&1 || missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  report_other || exit 1
  echo "walcat setup: system packages present: ${PACKAGES[*]%%:*}"
  exit 0
fi

install=(apt-get install -y --no-install-recommends "${missing[@]}")
command_text="sudo apt-get update && sudo ${install[*]}"
if [[ $mode == check ]]; then
  echo "walcat setup: missing Debian packages: ${missing[*]}; run: npm run setup (as root or with sudo), or: $command_text" >&2
  report_other
  exit 1
fi

echo "walcat setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [[ $(id -u) -eq 0 ]]; then
  apt-get update -qq </dev/null
  "${install[@]}" -qq </dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo -n apt-get update -qq </dev/null
  sudo -n "${install[@]}" -qq </dev/null
else
  echo "walcat setup: missing Debian packages: ${missing[*]}, and this user cannot install them (not root, no password-less sudo); run: $command_text" >&2
  exit 1
fi
report_other || exit 1
