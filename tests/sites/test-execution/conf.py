extensions = ["myst_nb", "mlbio_book.execution"]
nb_execution_mode = "cache"
nb_execution_raise_on_error = True
project = "Demo"
source_suffix = {".md": "myst-nb"}
exclude_patterns = ["_build"]
