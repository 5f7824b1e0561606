"""User-interface code for notebooks: HTML tables of checked steps and the ipywidgets form.

Kept out of the symbolic core; only `derivation.ui.widget` imports ipywidgets.
"""
