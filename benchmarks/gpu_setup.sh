# Sourced by gpu_check.sh and gpu_train.sh: installs what strbench needs on a GPU machine with no
# internet.  gpu_setup NAME WHEELS  (NAME for messages; WHEELS a folder of wheels, may be empty; uses $PY)
gpu_setup() {
  local name=$1 wheels=$2 pair missing=()
  # the packages strbench imports, by import name=distribution name
  for pair in numpy=numpy PIL=pillow cv2=opencv-python-headless pluggy=pluggy rich=rich lmdb=lmdb \
              tabulate=tabulate rapidfuzz=rapidfuzz safetensors=safetensors onnx=onnx matplotlib=matplotlib \
              pynvml=nvidia-ml-py; do
    $PY -c "import ${pair%%=*}" 2>/dev/null || missing+=("${pair#*=}")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    [[ -n "$wheels" ]] || { echo "$name: missing ${missing[*]}; give --wheels DIR with their wheels" >&2; exit 2; }
    $PY -m pip install -q --no-index --find-links "$wheels" "${missing[@]}"
  fi
  $PY -m pip install -q --no-deps --no-build-isolation -e . -e plugins/rare -e plugins/robustscanner
}
