#!/usr/bin/env bash
# Fails when a C++ file is not formatted with the repository's .clang-format (clang-format 14).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find . -path ./build -prune -o -name '*.[ch]pp' -print)
clang-format --dry-run --Werror $files
echo "format: $(echo "$files" | wc -w) files clean"
