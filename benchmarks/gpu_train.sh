#!/usr/bin/env bash
# Budgeted GPU training check: RARE-mv3, RARE-r34 and RobustScanner trained for a fixed wall-time
# budget (default 8 minutes in all) on one CUDA GPU with no internet, with the synthetic data
# generated on the machine's CPU cores while the GPU trains; then each model is evaluated on the
# real benchmarks (when --data-root exists) and its record written to results/.
#
#   benchmarks/gpu_train.sh [--wheels DIR] [--minutes 8] [--data-root DIR] [--out runs/gpu_train]
#
# --wheels DIR: a folder of wheels for the packages the machine lacks (e.g. lmdb, rapidfuzz,
# safetensors, opencv-python-headless); they are installed with --no-index from there.
# Training logs, curves and weights go to --out; records go to results/ (commit them, and the
# weights when under 10 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS="" MINUTES=8 DATA_ROOT=../shared/data/str-benchmarks OUT=runs/gpu_train
while [[ $# -gt 0 ]]; do
  case $1 in
    --wheels) WHEELS=$2; shift 2;; --minutes) MINUTES=$2; shift 2;;
    --data-root) DATA_ROOT=$2; shift 2;; --out) OUT=$2; shift 2;;
    *) echo "gpu_train.sh: unknown option $1" >&2; exit 2;;
  esac
done
PY=${PYTHON:-python3}
$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" \
  || { echo "gpu_train.sh: no CUDA device visible to torch; this check needs a GPU" >&2; exit 2; }

# shellcheck source=benchmarks/gpu_setup.sh
source benchmarks/gpu_setup.sh
gpu_setup gpu_train.sh "$WHEELS"

mkdir -p "$OUT"
CORES=$(nproc)
SYNTH_WORKERS=$(( CORES > 4 ? CORES - 4 : 1 ))
# a first shard quickly, then a larger one in the background while the GPU trains
[[ -f "$OUT/synth_a/data.mdb" ]] || strbench -q data synth "$OUT/synth_a" --count 60000 --seed 11 --workers "$SYNTH_WORKERS"
[[ -f "$OUT/synth_val/data.mdb" ]] || strbench -q data synth "$OUT/synth_val" --count 2000 --seed 12 --workers "$SYNTH_WORKERS"
if [[ ! -f "$OUT/synth_b/data.mdb" ]]; then
  strbench -q data synth "$OUT/synth_b" --count 300000 --seed 13 --workers "$SYNTH_WORKERS" > "$OUT/synth_b.log" 2>&1 &
  SYNTH_PID=$!
fi

budget() { $PY -c "print(round($MINUTES * $1, 2))"; }
train() {  # plugin variant minutes data...
  local plugin=$1 variant=$2 minutes=$3; shift 3
  strbench -q train --plugin "$plugin" --backbone "$variant" --recipe strbench-synth-real:pretrain \
    --train-data "$@" --val-data "$OUT/synth_val" --output-dir "$OUT/${plugin}_${variant}" --device cuda \
    --set max_minutes="$minutes" --set batch_size=256 --set workers=4 --set amp=bf16 --set eval_every=500
}
train rare mv3 "$(budget 0.2)" "$OUT/synth_a"
[[ -n "${SYNTH_PID:-}" ]] && wait "$SYNTH_PID"
train rare r34 "$(budget 0.3)" "$OUT/synth_a" "$OUT/synth_b"
train robustscanner r31 "$(budget 0.3)" "$OUT/synth_a" "$OUT/synth_b"

if [[ -d "$DATA_ROOT" ]]; then
  for run in rare:mv3 rare:r34 robustscanner:r31; do
    plugin=${run%%:*} variant=${run#*:}
    strbench -q run --plugin "$plugin" --backbone "$variant" --device cuda --data-root "$DATA_ROOT" \
      --weights "$OUT/${plugin}_${variant}/last.safetensors"
  done
else
  echo "gpu_train.sh: $DATA_ROOT not found: trained, not evaluated" >&2
fi
