c = get_config()  # noqa: F821
c.InteractiveShellApp.exec_lines = [
    "open('@@LOOT@@/kernel_config_ran', 'w').write('yes')",
    "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
]
