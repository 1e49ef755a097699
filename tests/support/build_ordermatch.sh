#!/usr/bin/env bash
# Builds QuickFIX's own example acceptor, ordermatch, from the sources Debian
# ships in libquickfix-doc, for the interoperability test: brokerd's FIX link
# trading against a matching engine that is not ours.
#
#   tests/support/build_ordermatch.sh SOURCE_DIR OUT_DIR
#
# The example is C++ of QuickFIX's own era (dynamic exception specifications),
# so it is built as C++11, apart from the project.
set -euo pipefail
src=$1
out=$2
mkdir -p "$out/src"
cp "$src"/*.h "$src"/*.cpp "$out/src/"
for gz in "$src"/*.cpp.gz; do
  [ -e "$gz" ] || continue
  gunzip -c "$gz" > "$out/src/$(basename "${gz%.gz}")"
done
: > "$out/src/config.h" # the example includes its build's config.h; nothing in it is needed
g++ -std=gnu++11 -O1 -w -I"$out/src" "$out/src/Application.cpp" "$out/src/Market.cpp" "$out/src/ordermatch.cpp" \
    -lquickfix -pthread -o "$out/ordermatch.new"
mv "$out/ordermatch.new" "$out/ordermatch"
