#!/usr/bin/env bash
# Creates the virtualenv used by the OpenFisca side of the rule-engine benchmark.
# Usage: bench/openfisca/setup.sh [VENV_DIR]   (default /tmp/of-venv)
# Then:  ZHENGWU_OPENFISCA_PYTHON=/tmp/of-venv/bin/python \
#          cargo run --release -p zhengwu-rules --example bench
set -euo pipefail
VENV="${1:-/tmp/of-venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "openfisca-core>=43"
"$VENV/bin/python" -c 'import openfisca_core, numpy; print("openfisca-core", openfisca_core.__version__ if hasattr(openfisca_core, "__version__") else "?", "numpy", numpy.__version__)'
echo "export ZHENGWU_OPENFISCA_PYTHON=$VENV/bin/python"
