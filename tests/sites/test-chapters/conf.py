extensions = [
    "myst_nb",
    "sphinx_design",
    "sphinx_external_toc",
    "mlbio_book.chapters",
    "mlbio_book.exercises",
    "mlbio_book.assets",
]
external_toc_path = "_toc.yml"
nb_execution_mode = "off"
html_baseurl = "https://example.org/demo/"
project = "Demo"
source_suffix = {".md": "myst-nb"}
