#!/usr/bin/env bash
# Regenerates test/fixtures/history: one timeline history file in every compression WAL-G (and WAL-E's gzip) can
# store it with, made by the real command-line tools rather than by the decoders under test, plus a large
# multi-block LZ4 frame with linked blocks and block checksums. Needs lz4, zstd, xz and gzip (Debian packages);
# brotli is used when installed, otherwise Node's zlib (same format).
set -euo pipefail

cd "$(dirname "$0")/../test/fixtures/history"

# The file PostgreSQL writes for timeline 3 after 1 -> 2 -> 3: each child copies its parent's file, then a blank
# line and its own entry (writeTimelineHistory). Mid-segment and segment-boundary switchpoints, both LSN forms.
printf '1\t0/30000A0\tno recovery target specified\n\n2\t0/05000000\tbefore 2026-11-20 14:30:00.123456+00\n' \
  > 00000003.history

rm -f 00000003.history.* large-history.txt.lz4
lz4 -q -9 00000003.history 00000003.history.lz4
zstd -q -19 00000003.history -o 00000003.history.zst
# Streamed like WAL-G's encoder: from stdin, so the frame carries no content size.
zstd -q -c <00000003.history >00000003.history.stream.zst
xz --format=lzma -9 -c 00000003.history > 00000003.history.lzma
gzip -n -9 -c 00000003.history > 00000003.history.gz
if command -v brotli >/dev/null; then
  brotli -q 11 -c 00000003.history > 00000003.history.br
else
  node -e "process.stdout.write(require('node:zlib').brotliCompressSync(require('node:fs').readFileSync('00000003.history')))" \
    > 00000003.history.br
fi

# 4000 numbered lines (about 150 kB) in 64 KiB linked blocks with block checksums: exercises matches that reach
# into the previous block. The test regenerates the same text with the same rule.
node -e '
let text = "";
for (let i = 1; i <= 4000; i++) text += `${i}\t${(i >> 8).toString(16).toUpperCase()}/${(i * 40).toString(16).toUpperCase()}\treason number ${i % 97}\n`;
process.stdout.write(text);
' | lz4 -q -B4 -BD -BX -c > large-history.txt.lz4

ls -l
