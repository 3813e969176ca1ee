"""City hall's console: staff sign in with a browser to see the fleet, call centres,
host the town meeting and send alerts and notices.

A Flask application (``app.create_app``) served by waitress behind city hall's nginx
(TLS). Everything a request needs is built once in :class:`~.app.Console` and
reached through ``current_console()``; the pieces:

- :mod:`.settings`: the frozen settings (repository, database URL, broker, gate);
- :mod:`.models` and :mod:`.migrations`: the database (SQLAlchemy; SQLite by
  default, PostgreSQL by URL), its schema changed only by Alembic revisions;
- :mod:`.accounts`: staff, roles, Argon2 password hashes and the lock-out rule;
- :mod:`.auth`: sign-in and sign-out pages and the ``role_required`` guard;
- one blueprint per page: :mod:`.fleet`, :mod:`.alerts`, :mod:`.calls`,
  :mod:`.meeting`, :mod:`.staff`.

Forms and CSRF are Flask-WTF's, sessions Flask-Login's over Flask's signed
cookie, passwords argon2-cffi's: nothing of HTTP, sessions or hashing is written
here.
"""
