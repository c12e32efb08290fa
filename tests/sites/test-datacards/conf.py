extensions = ["myst_parser", "mlbio_book.datacards"]
project = "Demo"
exclude_patterns = ["data"]
