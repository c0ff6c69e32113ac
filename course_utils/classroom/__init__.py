"""Classroom machinery: execute notebooks, build student copies, the teacher guide and the
course website. Teachers and maintainers run it; learning modules never import it."""

__all__: list[str] = []
