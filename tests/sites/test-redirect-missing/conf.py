extensions = ["myst_parser", "mlbio_book.citation"]
