extensions = ["myst_parser", "sphinx_design", "mlbio_book.citation", "mlbio_book.exercises"]
html_baseurl = "https://example.org/demo/"
project = "Demo"
