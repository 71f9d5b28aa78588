"""The example subsystem's folder is importable (``import example_noise``), as an installed package would be."""

import sys
from pathlib import Path

HERE = str(Path(__file__).parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
