"""Behaviours any text skill may show besides its task; not skills, so not in the dispatch table.

injection.py: obeying an order planted in the user's text or a retrieved passage (the
"injected" behaviour), which classify, extract, summarise, plain and answer each apply in their
own output format.
"""
