#!/usr/bin/env bash
# Trains strbench's shipped RARE-mv3 end to end on a CPU, resumably:
#   1. synthetic data (strbench data synth): a training set and a validation set;
#   2. pre-training on the synthetic set     (recipe strbench-synth-real:pretrain), extended by
#      a warm restart from its last weights  (recipe strbench-synth-real:pretrain-more, 2,500 steps),
#      itself resumed with a longer schedule (max_steps PRETRAIN_MORE_EXTEND, default 6,000): the
#      cosine is re-stretched, so the learning rate rises again from 5% to about 66% of its peak
#      (a second warm restart) and decays to 5% at the new end;
#   3. fine-tuning on the real training splits mixed with synthetic words
#                                            (recipe strbench-synth-real:finetune);
#   4. refining on the held-out split's training part (strbench data holdout) mixed with fresh
#      synthetic words, half of them strongly curved or perspective-distorted, validated on the
#      held-out part, which chooses best.safetensors (recipe strbench-synth-real:refine);
# then benchmarks/ship_rare_weights.py evaluates the curve's snapshots, ships the weights into the
# plugin and evaluates them on every available real benchmark version.
# Run it again after an interruption: finished steps are skipped and a started stage resumes
# from its last checkpoint (--resume), so a long run can be split over several sittings.
#
#   benchmarks/train_rare_mv3.sh [RUN_DIR]           (default runs/rare_mv3)
# Environment: STR_TRAIN (real training splits, default ../shared/data/str-train),
# SYNTH_COUNT (default 400000),
# PRETRAIN_STEPS / PRETRAIN_MORE_STEPS / FINETUNE_STEPS (override the recipe's max_steps),
# PRETRAIN_MORE_EXTEND (default 6000; 0 skips the extension), WORKERS (default 1),
# REFINE_STEPS (override the refine stage's max_steps), REFINE_FROM (the weights refine starts from,
# default the fine-tuned last.safetensors; e.g. the shipped plugin weights),
# STAGES (the stages to run, default "pretrain pretrain_more finetune refine").
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/rare_mv3}
STR_TRAIN=${STR_TRAIN:-../shared/data/str-train}
SYNTH_COUNT=${SYNTH_COUNT:-400000}
WORKERS=${WORKERS:-1}
PRETRAIN_MORE_EXTEND=${PRETRAIN_MORE_EXTEND:-6000}
STAGES=${STAGES:-pretrain pretrain_more finetune refine}
# the irregular half of the refine stage's synthetic words (benchmarks/text_geometry.py measured the choice)
IRREGULAR=${IRREGULAR:---curve-rate 0.5 --curve-max 1.0 --perspective-rate 0.6 --perspective-jitter 0.3 --rotation 12}
mkdir -p "$RUN"
want() { [[ " $STAGES " == *" $1 "* ]]; }

for split in IIIT5K_train_2000 SVT_train_257 IC15_train_4468; do
  if [[ ! -f "$STR_TRAIN/$split/gt.txt" ]]; then
    echo "train_rare_mv3.sh: real training split $STR_TRAIN/$split/gt.txt not found (set STR_TRAIN)" >&2
    exit 2
  fi
done

# shellcheck source=benchmarks/train_stages.sh
source benchmarks/train_stages.sh  # finished, resume_or_init

if want pretrain || want pretrain_more || want finetune; then
  [[ -f "$RUN/synth_train/data.mdb" ]] || strbench data synth "$RUN/synth_train" --count "$SYNTH_COUNT" --seed 1 --workers 2
  [[ -f "$RUN/synth_val/data.mdb" ]] || strbench data synth "$RUN/synth_val" --count 2000 --seed 2 --workers 2
  [[ -f "$RUN/synth_finetune/data.mdb" ]] || strbench data synth "$RUN/synth_finetune" --count 60000 --seed 3 --workers 2
fi

common=(--plugin rare --backbone mv3 --set "workers=$WORKERS" --set snapshot_every=2000)

if want pretrain && ! finished "$RUN/pretrain"; then
  # shellcheck disable=SC2046
  strbench -q train "${common[@]}" --recipe strbench-synth-real:pretrain \
    --train-data "$RUN/synth_train" --val-data "$RUN/synth_val" --output-dir "$RUN/pretrain" \
    ${PRETRAIN_STEPS:+--set max_steps=$PRETRAIN_STEPS} $(resume_or_init "$RUN/pretrain")
fi

if want pretrain_more && ! finished "$RUN/pretrain_more"; then
  # shellcheck disable=SC2046
  strbench -q train "${common[@]}" --recipe strbench-synth-real:pretrain-more \
    --train-data "$RUN/synth_train" --val-data "$RUN/synth_val" --output-dir "$RUN/pretrain_more" \
    ${PRETRAIN_MORE_STEPS:+--set max_steps=$PRETRAIN_MORE_STEPS} $(resume_or_init "$RUN/pretrain_more" "$RUN/pretrain/last.safetensors")
fi

if want pretrain_more && (( PRETRAIN_MORE_EXTEND > 0 )) && ! finished "$RUN/pretrain_more" "$PRETRAIN_MORE_EXTEND"; then
  strbench -q train "${common[@]}" --recipe strbench-synth-real:pretrain-more \
    --train-data "$RUN/synth_train" --val-data "$RUN/synth_val" --output-dir "$RUN/pretrain_more" \
    --set "max_steps=$PRETRAIN_MORE_EXTEND" --resume "$RUN/pretrain_more/last.ckpt"
fi

if want finetune && ! finished "$RUN/finetune"; then
  # real crops repeated 6x (40,350 per epoch) next to 60,000 fresh synthetic words
  # shellcheck disable=SC2046
  strbench -q train "${common[@]}" --recipe strbench-synth-real:finetune \
    --train-data "$STR_TRAIN/IIIT5K_train_2000/gt.txt" "$STR_TRAIN/SVT_train_257/gt.txt" \
                 "$STR_TRAIN/IC15_train_4468/gt.txt" "$RUN/synth_finetune" \
    --set train_data_repeat=6,6,6,1 --val-data "$RUN/synth_val" --output-dir "$RUN/finetune" \
    ${FINETUNE_STEPS:+--set max_steps=$FINETUNE_STEPS} $(resume_or_init "$RUN/finetune" "$RUN/pretrain_more/last.safetensors")
fi

if want refine && ! finished "$RUN/refine"; then
  [[ -f "$RUN/holdout/split.json" ]] || strbench data holdout \
    "$STR_TRAIN/IIIT5K_train_2000" "$STR_TRAIN/SVT_train_257" "$STR_TRAIN/IC15_train_4468" --out "$RUN/holdout"
  # backgrounds from the training part only, so no held-out crop is seen, even as a blurred background
  [[ -f "$RUN/synth_refine/data.mdb" ]] || strbench data synth "$RUN/synth_refine" --count 100000 --seed 4 --workers 2 \
    --backgrounds "$RUN/holdout/train.txt"
  # shellcheck disable=SC2086
  [[ -f "$RUN/synth_irregular/data.mdb" ]] || strbench data synth "$RUN/synth_irregular" --count 100000 --seed 5 \
    --workers 2 --backgrounds "$RUN/holdout/train.txt" $IRREGULAR
  # the training part's 6,086 real crops repeated 8x (48,688 per epoch) next to 200,000 fresh synthetic words
  # shellcheck disable=SC2046
  strbench -q train "${common[@]}" --recipe strbench-synth-real:refine \
    --train-data "$RUN/holdout/train.txt" "$RUN/synth_refine" "$RUN/synth_irregular" --set train_data_repeat=8,1,1 \
    --val-data "$RUN/holdout/heldout.txt" --output-dir "$RUN/refine" \
    ${REFINE_STEPS:+--set max_steps=$REFINE_STEPS} $(resume_or_init "$RUN/refine" "${REFINE_FROM:-$RUN/finetune/last.safetensors}")
fi

echo "train_rare_mv3.sh: trained; ship and evaluate with: python benchmarks/ship_rare_weights.py $RUN"
