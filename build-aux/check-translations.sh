#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every language in po/LINGUAS is complete: no untranslated or fuzzy message, the format
# directives match (msgfmt -c), and no message of today's sources is missing from it (a
# template made afresh with the keywords of meson's GLib preset, compared with msgcmp).
set -eu
cd "$(dirname "$0")/.."
pot=$(mktemp)
trap 'rm -f "$pot"' EXIT
xgettext --package-name=kie-tasks --from-code=UTF-8 --add-comments -f po/POTFILES.in -o "$pot" \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 2>/dev/null
status=0
for lang in $(grep -v '^#' po/LINGUAS); do
  stats=$(msgfmt -c --statistics -o /dev/null "po/$lang.po" 2>&1) || { echo "po/$lang.po: $stats"; status=1; continue; }
  case $stats in
    *fuzzy*|*untranslated*) echo "po/$lang.po is not complete: $stats"; status=1 ;;
  esac
  if ! msgcmp --use-untranslated "po/$lang.po" "$pot" 2>/dev/null; then
    echo "po/$lang.po lacks messages of the sources (run: ninja -C _build kie-tasks-update-po, then translate):"
    msgcmp --use-untranslated "po/$lang.po" "$pot" 2>&1 | head -5
    status=1
  fi
  echo "po/$lang.po: $stats"
done
exit $status
