# Sourced by scripts/test and ./consulta: the Debian programs that read attached notes verbales
# (Tesseract with its Spanish and English data for scans, antiword and catdoc for .doc), installed
# on a fresh machine the way Dovecot is (with sudo when not root). Quiet when all are there.
_consulta_missing=()
command -v tesseract >/dev/null 2>&1 || _consulta_missing+=(tesseract-ocr)
for _lang in spa eng; do
  if ! { command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx "$_lang"; }; then
    _consulta_missing+=("tesseract-ocr-$_lang")
  fi
done
command -v antiword >/dev/null 2>&1 || _consulta_missing+=(antiword)
command -v catdoc >/dev/null 2>&1 || _consulta_missing+=(catdoc)
if [ "${#_consulta_missing[@]}" -gt 0 ]; then
  echo "installing the document readers (Debian): ${_consulta_missing[*]}…" >&2
  _consulta_sudo=(); [ "$(id -u)" -eq 0 ] || _consulta_sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${_consulta_sudo[@]}" apt-get install -y -q --no-install-recommends "${_consulta_missing[@]}" >/dev/null 2>&1 \
    || { "${_consulta_sudo[@]}" apt-get update -q >/dev/null && \
         "${_consulta_sudo[@]}" apt-get install -y -q --no-install-recommends "${_consulta_missing[@]}" >/dev/null; }
fi
unset _consulta_missing _consulta_sudo _lang
