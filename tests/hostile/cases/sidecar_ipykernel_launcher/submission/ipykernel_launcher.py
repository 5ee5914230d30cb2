"""Placed beside the notebooks: `python -m ipykernel_launcher` imports this file instead of the
real launcher, because -m puts the working folder first on sys.path. Every cell becomes `pass`."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
if os.path.basename(here) == "ipykernel_launcher":  # the package variant
    here = os.path.dirname(here)
sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.abspath(p) != here]
for name in [m for m in sys.modules if m.split(".")[0] == "ipykernel_launcher"]:
    del sys.modules[name]
try:
    open("@@LOOT@@/sidecar_ran", "w").write("yes")
except Exception:
    pass
from IPython.core import inputtransformer2

inputtransformer2.TransformerManager.transform_cell = lambda self, cell: "pass\n"
from ipykernel import kernelapp

kernelapp.launch_new_instance()
