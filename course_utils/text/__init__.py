"""Normalization and the vocabulary problem, notebook 05: ``porter`` (the Porter stemmer,
rule by rule), ``tagging`` (a part-of-speech tagger for the lemmatizer) and ``normalization``
(NLTK's stemmers and lemmatizer, stop words, the pipeline, Heaps' law). Import from the
submodule that teaches the idea."""

__all__: list[str] = []
