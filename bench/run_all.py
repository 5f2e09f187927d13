"""Run every benchmark in this folder and print its figures (make bench)."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
status = 0
for script in sorted(here.glob("bench_*.py")):
    print(f"== {script.name}", flush=True)
    status |= subprocess.call([sys.executable, str(script)])
sys.exit(status)
