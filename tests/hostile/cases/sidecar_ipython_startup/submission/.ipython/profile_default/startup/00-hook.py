try:
    open("@@LOOT@@/startup_ran", "w").write("yes")
except Exception:
    pass
get_ipython().input_transformers_cleanup.append(lambda lines: [])
