"""course_utils: the shared, tested code of the course "From rules to GPT".

One module per concept, each taught by a notebook (see the README's map). The core
modules run in plain scripts and tests; only ``plots`` and ``widgets`` touch Jupyter.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
