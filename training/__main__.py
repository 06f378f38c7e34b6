from boxoffice.cli import run
from training.cli import app

run(app, "python -m training")
