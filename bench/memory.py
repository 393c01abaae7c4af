"""Resident memory added by importing litellm_router_ext and by loading the default learned predictor.

Each figure comes from a fresh interpreter (so nothing is shared between measurements), reading VmRSS
from /proc/self/status:

- ``python_rss_mb``: a bare interpreter;
- ``import_rss_mb``: added by ``import litellm_router_ext`` (core, config, heuristic scorer; no LiteLLM);
- ``predictor_rss_mb``: added on top by loading the shipped learned predictor;
- ``litellm_import_rss_mb``: for scale, what ``import litellm`` itself adds (the SDK path needs it anyway);
- ``artifact_rss_mb``: with ``--artifact PATH``, what loading that learned artifact adds instead (e.g. a
  trees-form one from ``litellm-router train --model trees``).

    python bench/memory.py [--json out.json] [--artifact PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
out = {'start': rss()}
for step, code in json.loads(sys.argv[1]):
    exec(code)
    out[step] = rss()
print(json.dumps(out))
"""


def run(steps: list[tuple[str, str]]) -> dict[str, float]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(steps)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--artifact", type=Path, default=None, help="Also measure loading this learned artifact")
    args = parser.parse_args()
    ours = run(
        [
            ("import", "import litellm_router_ext"),
            ("predictor", "from litellm_router_ext.scorers.learned import LearnedScorer; LearnedScorer()"),
        ]
    )
    litellm = run([("import", "import litellm")])
    results = {
        "python_rss_mb": round(ours["start"], 1),
        "import_rss_mb": round(ours["import"] - ours["start"], 1),
        "predictor_rss_mb": round(ours["predictor"] - ours["import"], 1),
        "total_added_rss_mb": round(ours["predictor"] - ours["start"], 1),
        "litellm_import_rss_mb": round(litellm["import"] - litellm["start"], 1),
    }
    if args.artifact:
        own = run([("import", "import litellm_router_ext"),
                   ("predictor", "from litellm_router_ext.scorers.learned import LearnedScorer; "
                                 f"LearnedScorer({str(args.artifact.resolve())!r})")])
        results["artifact_rss_mb"] = round(own["predictor"] - own["import"], 1)
    for key, value in results.items():
        print(f"{key:24s} {value:8.1f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
