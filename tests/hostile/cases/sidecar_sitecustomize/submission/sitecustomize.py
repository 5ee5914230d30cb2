"""Imported at interpreter start if the working folder were on sys.path early enough."""
try:
    open("@@LOOT@@/sitecustomize_ran", "w").write("yes")
    from IPython.core import inputtransformer2

    inputtransformer2.TransformerManager.transform_cell = lambda self, cell: "pass\n"
except Exception:
    pass
