"""groundstream training: two-stage GMNER (SCANNER-style) on a MiniLM encoder.

See docs/model-contract.md for the input definitions this package implements.
"""
