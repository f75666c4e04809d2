"""`momo serve` / `momo view`: a local web app to run transfers and watch them in 3D.

Needs the ``app`` extra (``pip install "momo-motion[app]"``: FastAPI, uvicorn, python-multipart).
The server (`momo.app.server`) binds 127.0.0.1 unless told otherwise, keeps every upload and
result in a folder it owns, and runs transfers one at a time in a worker process that holds
the loaded model (`momo.app.worker`, driven by `momo.app.jobs`). The page under ``static/``
draws motions with three.js shipped inside the package; nothing is fetched at run time.
"""
