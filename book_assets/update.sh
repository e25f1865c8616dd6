#!/usr/bin/env bash
# Re-creates the vendored files in book_assets/static/ from the registries (npm, Debian) and records
# their versions in book_assets/VERSIONS.txt. Not part of the build: the files are committed, so the
# README's `pip install -r requirements.txt && jupyter-book build .` needs neither npm nor apt. Run it
# only to upgrade one of them (change the version below, run, rebuild the book, run
# tests/test_browser.py, commit).
# Needs: apt-get (Debian/Ubuntu) and fontTools (`pip install fonttools`).
set -euo pipefail
cd "$(dirname "$0")"
EMOJI_DEB=fonts-noto-color-emoji   # whatever version the Debian mirror has; VERSIONS.txt records it
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ✅ (U+2705) and ❌ (U+274C) from Noto Color Emoji (SIL OFL 1.1), renamed "AlexNet marks" (a subset is a
# modified version under the OFL), so that the checkers' marks never depend on the reader's fonts.
(cd "$work" && apt-get download -q "$EMOJI_DEB" >/dev/null 2>&1) && dpkg-deb -x "$work"/${EMOJI_DEB}_*.deb "$work/emoji"
emoji_version=$(dpkg-deb -f "$work"/${EMOJI_DEB}_*.deb Version)
pyftsubset "$work/emoji/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf" --unicodes=U+2705,U+274C \
  --layout-features='' --no-hinting --output-file="$work/marks.ttf"
python3 - "$work/marks.ttf" static/fonts/alexnet-marks.ttf <<'EOF'
import sys
from fontTools.ttLib import TTFont
font = TTFont(sys.argv[1], recalcTimestamp=False)
names = font["name"]
for record in list(names.names):
    if record.nameID in (1, 3, 4, 16, 17, 21, 22):
        names.removeNames(nameID=record.nameID)
names.setName("AlexNet marks", 1, 3, 1, 0x409)
names.setName("AlexNet marks: U+2705 and U+274C from Noto Color Emoji", 3, 3, 1, 0x409)
names.setName("AlexNet marks", 4, 3, 1, 0x409)
names.setName("AlexNetMarks", 6, 3, 1, 0x409)
assert set(font.getBestCmap()) == {0x2705, 0x274C}, font.getBestCmap()
font.save(sys.argv[2])
EOF
sed -n '/SIL OPEN FONT LICENSE Version 1.1/,$p' "$work/emoji/usr/share/doc/$EMOJI_DEB/copyright" \
  | sed -e 's/^ //' -e 's/^\.$//' > "$work/ofl.txt"
{ echo "static/fonts/alexnet-marks.ttf: ✅ (U+2705) and ❌ (U+274C) only, subset with fontTools' pyftsubset"
  echo "from NotoColorEmoji.ttf of the Debian package $EMOJI_DEB $emoji_version and renamed \"AlexNet marks\"."
  echo "Copyright 2013-2017 Google Inc. (https://github.com/googlefonts/noto-emoji), under the SIL Open Font"
  echo "License 1.1, below."
  echo; echo " -----------------------------------------------------------"; cat "$work/ofl.txt"; } > static/fonts/LICENSE.txt

cat > VERSIONS.txt <<EOF
Vendored files in book_assets/static/ (made by book_assets/update.sh; licences in each LICENSE.txt):

fonts/alexnet-marks.ttf     U+2705 and U+274C of Noto Color Emoji, Debian $EMOJI_DEB $emoji_version
                            sha256 $(sha256sum static/fonts/alexnet-marks.ttf | cut -d' ' -f1)
book.css                    the book's own layout rules (not vendored)

MathJax is not here: it comes from the PyPI package sphinx-mathjax-offline (pinned in requirements.txt),
which copies its MathJax into _build/html/_static/mathjax/. No widget manager either: the explorers carry
their own code in each page (alexnet_lib/book/live/).
EOF
echo "book_assets: static/ and VERSIONS.txt updated"
