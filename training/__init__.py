"""Training side of the box-office forecaster: data -> features -> models -> evaluate -> save."""
