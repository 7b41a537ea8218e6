#!/usr/bin/env bash
# Check the add-on packaging at the repository root.
# 1. If ../shared/tools/check-addon-config exists: the linter schemas for config.yaml and build.yaml.
# 2. Always: consistency checks between config.yaml, translations, build.yaml, images and addon/.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs() {
  python3 -c "import $1" 2>/dev/null && return 0
  echo "installing Python packages: $2"
  python3 -m pip install --quiet $2 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages $2
}

status=0
linter=../shared/tools/check-addon-config
if [ -e "$linter" ]; then
  need_pkgs "yaml, jsonschema" "pyyaml jsonschema"
  python3 "$linter" . || status=1
else
  echo "note: $linter not found, skipping the schema check"
  need_pkgs yaml pyyaml
fi

python3 - <<'EOF' || status=1
import json, os, pathlib, struct, sys
import yaml

problems = []
config = yaml.safe_load(pathlib.Path("config.yaml").read_text())

# Options shipped for standalone use must equal the add-on defaults.
example = json.loads(pathlib.Path("addon/options.example.json").read_text())
if example != config.get("options"):
    problems.append("addon/options.example.json differs from config.yaml options")

# Every schema option (and nested field) needs a translation with a name.
tr = (yaml.safe_load(pathlib.Path("translations/en.yaml").read_text()) or {}).get("configuration", {})

def walk(schema, trans, prefix):
    for key, value in schema.items():
        entry = (trans or {}).get(key)
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(f"translations/en.yaml: no name for option '{prefix}{key}'")
            continue
        if isinstance(value, dict):
            walk(value, entry.get("fields"), f"{prefix}{key}.")
    for key in set(trans or {}) - set(schema):
        problems.append(f"translations/en.yaml: '{prefix}{key}' is not an option")

walk(config.get("schema") or {}, tr, "")

# Every schema type must be one the Supervisor knows (its regex in supervisor/apps/options.py):
# an unknown type or a match() that does not compile makes the add-on vanish from the store.
import re
TYPE = re.compile(
    r"^(?:|bool|email|url|port|device(\(subsystem=[a-z]+\))?"
    r"|str(\((\d+)?,(\d+)?\))?|password(\((\d+)?,(\d+)?\))?"
    r"|int(\((-?\d+)?,(-?\d+)?\))?|float(\((-?\d*\.?\d+)?,(-?\d*\.?\d+)?\))?"
    r"|match\((.*)\)|list\((.+)\))\??$"
)

def types(schema, where):
    if isinstance(schema, dict):
        for key, value in schema.items():
            types(value, f"{where}.{key}" if where else key)
    elif isinstance(schema, list):
        if len(schema) != 1:
            problems.append(f"config.yaml schema '{where}': a list takes exactly one element type")
        for item in schema:
            types(item, f"{where}[]")
    elif isinstance(schema, str):
        if not TYPE.match(schema):
            problems.append(f"config.yaml schema '{where}': unknown type {schema!r}")
        elif schema.startswith("match("):
            try:
                re.compile(schema[len("match("):schema.rindex(")")])
            except re.error as err:
                problems.append(f"config.yaml schema '{where}': bad regex ({err})")
    else:
        problems.append(f"config.yaml schema '{where}': {schema!r} is not a type")

types(config.get("schema") or {}, "")

# build.yaml arches must equal config.yaml arch.
build = pathlib.Path("build.yaml")
if build.exists():
    build_from = (yaml.safe_load(build.read_text()) or {}).get("build_from")
    if isinstance(build_from, dict) and set(build_from) != set(config["arch"]):
        problems.append(f"build.yaml arches {sorted(build_from)} != config.yaml arch {sorted(config['arch'])}")

# Images.
def png_size(path):
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])

icon = pathlib.Path("icon.png")
if not icon.exists() or png_size(icon) != (128, 128):
    problems.append("icon.png must be a 128x128 PNG")
logo = pathlib.Path("logo.png")
if not logo.exists() or png_size(logo) is None:
    problems.append("logo.png missing or not a PNG")

# The Supervisor parses every config.{json,yaml,yml} in the repo as an add-on.
for root, dirs, files in os.walk("."):
    dirs[:] = [d for d in dirs if d not in (".git", "target", "node_modules")]
    for name in files:
        path = pathlib.Path(name)
        if name.startswith("config.") and path.suffix in (".json", ".yaml", ".yml") and root != ".":
            problems.append(f"{root}/{name}: the Supervisor would parse it as an add-on config; rename it")

for p in problems:
    print(p)
print("add-on consistency: ok" if not problems else f"add-on consistency: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
EOF

if [ "$status" -ne 0 ]; then
  echo "check-addon: FAILED" >&2
fi
exit "$status"
