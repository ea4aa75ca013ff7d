#!/usr/bin/env bash
# Contract tests: clients nobody here wrote (ModelsLab's official SDK and CLI, OpenAI's SDK,
# webuiapi for AUTOMATIC1111) run against `easel sandbox`, and Easel's own requests are checked
# against OpenAI's published spec. Called by tests/run.sh; on its own:
#   bash tests/contract/run.sh [pytest args]     (EASEL_BIN defaults to target/release/easel)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
target="${CARGO_TARGET_DIR:-$root/target}"
export EASEL_BIN="${EASEL_BIN:-$target/release/easel}"
[ -x "$EASEL_BIN" ] || { echo "contract tests: no easel binary at $EASEL_BIN (cargo build --release first)" >&2; exit 1; }

venv="$target/contract-venv"
stamp="$venv/.requirements"
if ! cmp -s tests/contract/requirements.txt "$stamp" 2>/dev/null; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv python3-pip >/dev/null
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/contract/requirements.txt
    # ModelsLab's official CLI is a Go binary inside its PyPI wheel: take it out, do not install it.
    "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps modelslab-cli==0.2.2 -d "$venv/wheels"
    "$venv/bin/python" - "$venv" <<'PY'
import glob, os, sys, zipfile
venv = sys.argv[1]
wheel = glob.glob(os.path.join(venv, "wheels", "modelslab_cli-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("/bin/modelslab"))
    target = os.path.join(venv, "bin", "modelslab-cli")
    with open(target, "wb") as out:
        out.write(z.read(name))
    os.chmod(target, 0o755)
PY
    cp tests/contract/requirements.txt "$stamp"
fi
export MODELSLAB_CLI="$venv/bin/modelslab-cli"
cd tests/contract
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
