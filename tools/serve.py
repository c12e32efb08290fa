"""Serve the built site on localhost (``make preview``); see :mod:`mlbio_book.serve`.

``python tools/serve.py [_build/html] [--port 8000]``
"""

from mlbio_book.serve import main

if __name__ == "__main__":
    main()
