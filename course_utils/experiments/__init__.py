"""Course machinery: the commands that run long experiments and write the records under
``data/``. Learning modules never import this package."""

__all__: list[str] = []
