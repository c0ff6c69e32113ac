"""Word vectors, notebooks 03 and 04: ``counts`` (vocabulary, co-occurrence, PPMI, SVD),
``word2vec`` (skip-gram and CBOW), ``glove`` and ``benchmarks`` (analogies, WordSim-353,
SimLex-999). Import from the submodule that teaches the idea."""

__all__: list[str] = []
