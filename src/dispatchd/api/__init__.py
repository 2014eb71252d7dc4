"""The HTTP API of ``docs/api.md``: FastAPI routes over the service layer.

``requests.py`` holds the bodies the routes accept, ``responses.py`` the bodies they answer with
and the functions building those from domain objects, ``problems.py`` the error documents;
``rendering.py`` turns a command's result into its response inside the command's transaction.
``routes/`` has one router per part of the API.
"""
