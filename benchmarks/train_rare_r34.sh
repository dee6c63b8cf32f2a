#!/usr/bin/env bash
# Trains RARE-r34 (ResNet34_vd backbone) end to end on a CPU in bf16 autocast, resumably:
#   1. data: synthetic words (strbench data synth) for pre-training, its validation set and the
#      fine-tuning mix, and the held-out split of the real training crops (strbench data holdout:
#      RUN/holdout/train.txt and RUN/holdout/heldout.txt, 10% of each source by hash);
#   2. pre-training on the synthetic set     (recipe strbench-synth-real:pretrain), extended by a
#      warm restart from its last weights    (recipe strbench-synth-real:pretrain-more), optionally
#      resumed with a longer schedule        (PRETRAIN_MORE_EXTEND, default 0: off for r34);
#      both validate on the synthetic validation LMDB;
#   3. fine-tuning on the real crops of holdout/train.txt mixed with synthetic words
#                                            (recipe strbench-synth-real:finetune), validated on
#      holdout/heldout.txt: best.safetensors is chosen on held-out training crops, never on a
#      benchmark test set.
# The recipe's [variants.r34] sets batch 32 (about 22 img/s in bf16 on 2 threads). Run it again
# after an interruption: finished steps are skipped and a started stage resumes from its
# last.ckpt (--resume), so the run can be split over several sittings; the last line printed
# is the command that continues it.
#
#   benchmarks/train_rare_r34.sh [RUN_DIR]           (default runs/rare_r34)
# Environment: STR_TRAIN (real training splits, default ../shared/data/str-train),
# SYNTH_COUNT (default 200000), SYNTH_VAL_COUNT (default 2000), FINETUNE_SYNTH_COUNT (default 60000),
# SYNTH_WORKERS (rendering processes, default 1), WORKERS (data-loader workers, default 1),
# PRETRAIN_STEPS / PRETRAIN_MORE_STEPS / FINETUNE_STEPS (override the recipe's max_steps),
# PRETRAIN_MORE_EXTEND (default 0; N resumes pretrain-more with max_steps N), HOLDOUT_PERCENT
# (default 10), STRBENCH (the strbench command; default: on PATH, else .venv/bin/strbench).
# Typical background sitting on a shared 2-core machine:
#   OMP_NUM_THREADS=1 nohup nice -n 19 benchmarks/train_rare_r34.sh runs/rare_r34 > runs/rare_r34.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
SETTINGS=(STR_TRAIN SYNTH_COUNT SYNTH_VAL_COUNT FINETUNE_SYNTH_COUNT SYNTH_WORKERS WORKERS PRETRAIN_STEPS
          PRETRAIN_MORE_STEPS FINETUNE_STEPS PRETRAIN_MORE_EXTEND HOLDOUT_PERCENT STRBENCH)
given=()  # the settings this sitting was given, repeated in the resume command
for name in "${SETTINGS[@]}"; do
  if [[ -n "${!name:-}" ]]; then given+=("$name=${!name}"); fi
done
RUN=${1:-runs/rare_r34}
STR_TRAIN=${STR_TRAIN:-../shared/data/str-train}
SYNTH_COUNT=${SYNTH_COUNT:-200000}
SYNTH_VAL_COUNT=${SYNTH_VAL_COUNT:-2000}
FINETUNE_SYNTH_COUNT=${FINETUNE_SYNTH_COUNT:-60000}
SYNTH_WORKERS=${SYNTH_WORKERS:-1}
WORKERS=${WORKERS:-1}
PRETRAIN_MORE_EXTEND=${PRETRAIN_MORE_EXTEND:-0}
HOLDOUT_PERCENT=${HOLDOUT_PERCENT:-10}
if [[ -z "${STRBENCH:-}" ]]; then
  if command -v strbench >/dev/null; then STRBENCH=strbench; else STRBENCH=.venv/bin/strbench; fi
fi
[[ -x "$STRBENCH" ]] || command -v "$STRBENCH" >/dev/null || {
  echo "train_rare_r34.sh: no strbench command (run ./install.sh, activate .venv or set STRBENCH)" >&2; exit 2; }
mkdir -p "$RUN"

# the exact command that continues this run (same settings; the log is appended to)
resume_command() {
  echo "cd $(pwd) && ${given[*]:+${given[*]} }OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} nohup nice -n 19 benchmarks/train_rare_r34.sh $RUN >> $RUN.log 2>&1 &"
}
echo "train_rare_r34.sh: $(date -u +%FT%TZ) run $RUN; if interrupted, continue with:"
resume_command
trap 'status=$?; if (( status != 0 )); then echo "train_rare_r34.sh: stopped (exit $status); continue with:"; resume_command; fi' EXIT

splits=()
for split in IIIT5K_train_2000 SVT_train_257 IC15_train_4468; do
  if [[ ! -f "$STR_TRAIN/$split/gt.txt" ]]; then
    echo "train_rare_r34.sh: real training split $STR_TRAIN/$split/gt.txt not found (set STR_TRAIN)" >&2
    exit 2
  fi
  splits+=("$STR_TRAIN/$split")
done

# shellcheck source=benchmarks/train_stages.sh
source benchmarks/train_stages.sh  # finished, resume_or_init

synth() {  # $1 LMDB folder, $2 count, $3 seed; a folder left half-written by an interruption is replaced
  [[ -f "$1/data.mdb" ]] || "$STRBENCH" -q data synth "$1" --count "$2" --seed "$3" --workers "$SYNTH_WORKERS" --overwrite
}

[[ -f "$RUN/holdout/split.json" ]] || "$STRBENCH" -q data holdout "${splits[@]}" --out "$RUN/holdout" \
  --percent "$HOLDOUT_PERCENT" --overwrite
synth "$RUN/synth_val" "$SYNTH_VAL_COUNT" 2
synth "$RUN/synth_train" "$SYNTH_COUNT" 1
synth "$RUN/synth_finetune" "$FINETUNE_SYNTH_COUNT" 3

common=(--plugin rare --backbone r34 --set "workers=$WORKERS" --set snapshot_every=1000)

if ! finished "$RUN/pretrain"; then
  # shellcheck disable=SC2046
  "$STRBENCH" -q train "${common[@]}" --recipe strbench-synth-real:pretrain \
    --train-data "$RUN/synth_train" --val-data "$RUN/synth_val" --output-dir "$RUN/pretrain" \
    ${PRETRAIN_STEPS:+--set max_steps=$PRETRAIN_STEPS} $(resume_or_init "$RUN/pretrain")
fi

if ! finished "$RUN/pretrain_more"; then
  # shellcheck disable=SC2046
  "$STRBENCH" -q train "${common[@]}" --recipe strbench-synth-real:pretrain-more \
    --train-data "$RUN/synth_train" --val-data "$RUN/synth_val" --output-dir "$RUN/pretrain_more" \
    ${PRETRAIN_MORE_STEPS:+--set max_steps=$PRETRAIN_MORE_STEPS} $(resume_or_init "$RUN/pretrain_more" "$RUN/pretrain/last.safetensors")
fi

if (( PRETRAIN_MORE_EXTEND > 0 )) && ! finished "$RUN/pretrain_more" "$PRETRAIN_MORE_EXTEND"; then
  "$STRBENCH" -q train "${common[@]}" --recipe strbench-synth-real:pretrain-more \
    --train-data "$RUN/synth_train" --val-data "$RUN/synth_val" --output-dir "$RUN/pretrain_more" \
    --set "max_steps=$PRETRAIN_MORE_EXTEND" --resume "$RUN/pretrain_more/last.ckpt"
fi

if ! finished "$RUN/finetune"; then
  # the held-out split's train.txt repeated 6x (36,516 crops per epoch at 10%) next to 60,000 fresh
  # synthetic words; validated on heldout.txt only
  # shellcheck disable=SC2046
  "$STRBENCH" -q train "${common[@]}" --recipe strbench-synth-real:finetune \
    --train-data "$RUN/holdout/train.txt" "$RUN/synth_finetune" --set train_data_repeat=6,1 \
    --val-data "$RUN/holdout/heldout.txt" --output-dir "$RUN/finetune" \
    ${FINETUNE_STEPS:+--set max_steps=$FINETUNE_STEPS} $(resume_or_init "$RUN/finetune" "$RUN/pretrain_more/last.safetensors")
fi

echo "train_rare_r34.sh: trained; weights chosen on the held-out split: $RUN/finetune/best.safetensors"
echo "train_rare_r34.sh: running this command again (it skips finished stages) resumes or re-checks the run:"
resume_command
