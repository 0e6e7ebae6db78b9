#!/usr/bin/env bash
# Every source file with translatable strings is listed in po/POTFILES.in, and every listed
# file exists.
set -eu
cd "$1"
status=0
while IFS= read -r file; do
  case "$file" in ''|'#'*) continue ;; esac
  if [ ! -f "$file" ]; then echo "po/POTFILES.in lists $file, which does not exist"; status=1; fi
done < po/POTFILES.in
for file in $( (grep -rlE '(\b_|\bN_|\bC_|\bngettext|g_dngettext)\s*\(' src --include='*.c';
               grep -rl 'translatable="yes"' src --include='*.ui';
               ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml.in) | sort); do
  if ! grep -qxF "$file" po/POTFILES.in; then echo "$file has translatable strings but is not in po/POTFILES.in"; status=1; fi
done
exit $status
