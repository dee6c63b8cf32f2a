#!/usr/bin/env bash
# One prepared GPU check (at most about 8 minutes on one NVIDIA GPU, no internet):
#   1. the CUDA tests (tests/test_perf_gpu.py);
#   2. `strbench bench` on cuda for every installed algorithm plugin: batch sweep to 512 or the first
#      out-of-memory, latency p50/p90, peak allocated/reserved memory, NVML power and energy per
#      1,000 images, fp16/bf16 rows with their accuracy deltas, and a CUDA-graph (reduce-overhead)
#      row for the torch plugins;
#   3. training throughput under AMP for RARE-mv3, RARE-r34 and RobustScanner (synthetic data
#      generated on the CPU cores);
# every record, log and the environment going to one folder (default results/gpu/<UTC time>) to commit.
#
#   benchmarks/gpu_check.sh [--wheels DIR] [--data-root DIR] [--out DIR] [--dry-run]
#
# --wheels DIR   wheels for packages the machine lacks (lmdb, rapidfuzz, ...), installed --no-index
# --data-root    real benchmarks for the accuracy pass and the perf images (default, except with --dry-run:
#                ../shared/data/str-benchmarks when present, else the embedded synthetic set)
# --dry-run      the same steps on the CPU with tiny sizes: checks the script itself (run in CI)
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS="" DATA_ROOT="" OUT="" DRY=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --wheels) WHEELS=$2; shift 2;; --data-root) DATA_ROOT=$2; shift 2;; --out) OUT=$2; shift 2;;
    --dry-run) DRY=1; shift;;
    *) echo "gpu_check.sh: unknown option $1" >&2; exit 2;;
  esac
done
PY=${PYTHON:-python3}
OUT=${OUT:-results/gpu/$(date -u +%Y%m%dT%H%M%SZ)}
if [[ $DRY -eq 0 && -z "$DATA_ROOT" && -d ../shared/data/str-benchmarks ]]; then DATA_ROOT=../shared/data/str-benchmarks; fi
mkdir -p "$OUT"
log() { echo "gpu_check: $*" | tee -a "$OUT/gpu_check.log" >&2; }

if [[ $DRY -eq 0 ]]; then
  $PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" \
    || { echo "gpu_check.sh: no CUDA device visible to torch (use --dry-run on a CPU machine)" >&2; exit 2; }
  # shellcheck source=benchmarks/gpu_setup.sh
  source benchmarks/gpu_setup.sh
  gpu_setup gpu_check.sh "$WHEELS"
  DEVICE=cuda
  BENCH=(--perf-precisions fp16 bf16)
  TORCH_BENCH=(--compile reduce-overhead)
  TRAIN=(--set batch_size=256 --set workers=4 --set max_minutes=0.75 --set amp=auto)
  SYNTH_COUNT=20000
else
  DEVICE=cpu
  BENCH=(--limit 8 --perf-images 8 --perf-runs 2 --perf-warmup 1 --perf-batch-sizes 1 4 --perf-repeats 1)
  TORCH_BENCH=()
  TRAIN=(--set batch_size=4 --set workers=0 --set max_steps=2 --set amp=off)
  SYNTH_COUNT=64
fi
DATA=(); [[ -n "$DATA_ROOT" ]] && DATA=(--data-root "$DATA_ROOT")

# the environment, for the records' readers
$PY - "$OUT/environment.json" <<'PY'
import json, platform, subprocess, sys
import torch
env = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
       "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None,
       "devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]}
try:
    env["nvidia_smi"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,power.limit,clocks.max.sm",
                                        "--format=csv"], capture_output=True, text=True, timeout=30).stdout
except (OSError, subprocess.SubprocessError) as exc:
    env["nvidia_smi"] = f"unavailable: {exc}"
json.dump(env, open(sys.argv[1], "w"), indent=1)
PY

status=0
if [[ $DRY -eq 0 ]]; then
  log "CUDA tests"
  $PY -m pytest -q tests/test_perf_gpu.py 2>&1 | tee "$OUT/cuda_tests.log" || status=1
fi

pairs=$(strbench plugins --json | $PY -c "import json, sys
print(' '.join(f'{name}:{variant}' for p in json.load(sys.stdin) for name, a in (p.get('algorithms') or {}).items()
               for variant in a['variants']))")
for pair in $pairs; do
  plugin=${pair%%:*} variant=${pair#*:}
  extra=()
  [[ $plugin == rare || $plugin == robustscanner ]] && extra=("${TORCH_BENCH[@]}")
  log "bench $plugin $variant on $DEVICE"
  strbench -q bench --plugin "$plugin" --backbone "$variant" --device "$DEVICE" "${DATA[@]}" --results-dir "$OUT" \
    "${BENCH[@]}" "${extra[@]}" || { log "bench $plugin $variant failed"; status=1; }
done

log "synthetic training data ($SYNTH_COUNT images)"
[[ -f "$OUT/synth/data.mdb" ]] || strbench -q data synth "$OUT/synth" --count "$SYNTH_COUNT" --seed 21 \
  --workers "$(( $(nproc) > 2 ? $(nproc) - 2 : 1 ))"
for run in rare:mv3 rare:r34 robustscanner:r31; do
  plugin=${run%%:*} variant=${run#*:}
  log "training throughput $plugin $variant on $DEVICE"
  strbench -q train --plugin "$plugin" --backbone "$variant" --recipe strbench-synth-real:pretrain --device "$DEVICE" \
    --train-data "$OUT/synth" --output-dir "$OUT/train/${plugin}_${variant}" --set log_every=10 --set eval_every=0 \
    --set save_every_minutes=0 "${TRAIN[@]}" || { log "training $plugin $variant failed"; status=1; }
  rm -f "$OUT/train/${plugin}_${variant}"/*.ckpt "$OUT/train/${plugin}_${variant}"/*.safetensors
done
rm -rf "$OUT/synth"
log "done (status $status); records in $OUT"
exit $status
