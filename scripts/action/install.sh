#!/usr/bin/env bash
# The action's install step: downloads the release tarball for this runner, checks its SHA-256,
# unpacks it under $RUNNER_TEMP and puts its bin/ on the job's PATH ($GITHUB_PATH).
#   INPUT_VERSION, INPUT_TARBALL (URL or path; default: the action repository's GitHub release),
#   ACTION_REPOSITORY, SERVER_URL, RUNNER_TEMP, GITHUB_PATH
set -euo pipefail
version=${INPUT_VERSION:?the version input is empty}
# The version names a folder that is replaced and a release URL: a release number only.
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.]+)?$ ]]; then
  echo "::error title=stomper::the version input must be a release number such as 0.1.0 (got '$version')" >&2
  exit 2
fi
case "$(uname -m)" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) echo "::error title=stomper::no stomper release for $(uname -m) runners" >&2; exit 2 ;;
esac
name="stomper-$version-linux-$arch"
source=${INPUT_TARBALL:-}
if [ -z "$source" ]; then
  source="${SERVER_URL:-https://github.com}/${ACTION_REPOSITORY:?no tarball input and no action repository}/releases/download/v$version/$name.tar.gz"
fi
case "$source" in
  http://*|https://*|file://*) ;;
  *) source="file://$(cd "$(dirname "$source")" && pwd)/$(basename "$source")" ;;
esac
home="${RUNNER_TEMP:-/tmp}/stomper-$version"
rm -rf "$home" && mkdir -p "$home"
curl --fail --silent --show-error --location --retry 3 -o "$home/$name.tar.gz" "$source"
curl --fail --silent --show-error --location --retry 3 -o "$home/$name.tar.gz.sha256" "$source.sha256"
expected=$(cut -d ' ' -f 1 "$home/$name.tar.gz.sha256")
actual=$(sha256sum "$home/$name.tar.gz" | cut -d ' ' -f 1)
if [ "$expected" != "$actual" ]; then
  echo "::error title=stomper::$source does not match its .sha256 (expected $expected, got $actual)" >&2
  exit 2
fi
tar -C "$home" -xzf "$home/$name.tar.gz"
if [ ! -x "$home/$name/bin/stomper" ]; then
  echo "::error title=stomper::$source holds no $name/bin/stomper" >&2
  exit 2
fi
"$home/$name/bin/stomper" --version
echo "$home/$name/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set: not in GitHub Actions}"
