"""course_utils: the shared, tested code of the course "From rules to GPT".

One module per concept, each taught by a notebook (see the README's map). The core
modules run in plain scripts and tests; only ``plots``, ``model_plots``, ``widgets`` and
``model_widgets`` touch Jupyter. The course's machinery lives apart, in ``experiments/``
(what ``python -m course_utils <command>`` trains and ships) and ``classroom/`` (notebook
execution, student build, teacher guide, site); no learning module imports it.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
