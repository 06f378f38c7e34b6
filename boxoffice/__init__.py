"""What a stored model needs at prediction time, shared by training (to fit) and serving.

``features`` (FilmFeatures), ``estimators`` (the custom estimators and the calibration map),
``explain`` (per-film contributions), ``metadata`` (what a stored model carries, typed) and
``store`` (the BentoML model store). Nothing here imports ``training`` or ``serving``.
"""
