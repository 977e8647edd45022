"""The workshop server: the course on JupyterHub for a room of learners (``make hub``).

* ``accounts``  who may sign in: the room's sign-up codes, an optional roster, hashed passwords
* ``auth``      the JupyterHub authenticator built on them
* ``image``     what the hub serves from ``HUB_DIR``: the learners' Python environment and course
                files (no solutions, no hidden tests), the exchange, the instructor's course folder
* ``spawner``   each learner's server as a Unix account of their own; the instructor's as the hub's
* ``serve``     ``python -m workshop serve``: prepares all of that, then runs JupyterHub with
                ``workshop/jupyterhub_config.py``
"""
