"""The question log and answer feedback: every question the service answered (API, page,
stream, OpenAI surface) and the 👍/👎 people gave, in SQLite or PostgreSQL (SQLAlchemy).

* ``schema``    the tables
* ``migrate``   the schema created and upgraded by the service (a version table, ordered steps)
* ``privacy``   what is kept of a question: phone and ID numbers masked; the grouping key
* ``writer``    a background thread that inserts in batches, off the request path
* ``store``     :class:`QuestionLog`: record, feedback, retention, open/close
* ``reports``   the admin view: frequent unanswered questions, answers voted down, CSV
"""
