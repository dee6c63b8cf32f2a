# Shared by the resumable training scripts (train_rare_mv3.sh, train_rare_r34.sh); source it.

# finished DIR [STEP]: a stage is finished when a sitting of it ended at the last step of its own
# schedule (or at step STEP when given: an extension resumes the stage with a longer schedule)
finished() {
  [[ -f "$1/train_log.jsonl" ]] && python3 - "$1/train_log.jsonl" "${2:-0}" <<'PY'
import json, sys
target, schedule, done = int(sys.argv[2]), 0, False
for line in open(sys.argv[1]):
    event = json.loads(line) if line.strip() else {}
    if event.get("event") == "start":
        schedule = event["config"].get("max_steps") or 0
    elif event.get("event") == "end":
        done = done or event["step"] >= (target or schedule)
sys.exit(0 if done else 1)
PY
}

# resume_or_init DIR [WEIGHTS]: --resume from the stage's last checkpoint, else --init-weights WEIGHTS
resume_or_init() {
  if [[ -f "$1/last.ckpt" ]]; then echo "--resume $1/last.ckpt"; elif [[ -n "${2:-}" ]]; then echo "--init-weights $2"; fi
}
