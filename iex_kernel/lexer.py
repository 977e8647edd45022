"""Highlighting of the kernel's cells in nbconvert's HTML (nbgrader's feedback among it).

A cell is Elixir, or a magic: a ``%name args`` line and a body that is Elixir for
``%interact`` and plain text otherwise (a ``%quiz``'s questions). Pygments' Elixir lexer alone
marks the ``%`` as an error and colours a quiz question's apostrophe as the start of a string.
"""

from __future__ import annotations

import re

from nbconvert.filters.highlight import Highlight2HTML
from pygments.lexer import Lexer
from pygments.lexers import ElixirLexer
from pygments.token import Keyword, Text

_MAGIC = re.compile(r"(\s*)(%[a-z][a-z0-9_]*)([^\n]*\n?)")
_ELIXIR_BODY = {"%interact"}


class IExCellLexer(Lexer):
    """Elixir, or a magic line followed by its body.

    >>> [(str(t), v) for _, t, v in IExCellLexer().get_tokens_unprocessed("%quiz\\n? it's\\n")]
    [('Token.Text', ''), ('Token.Keyword.Pseudo', '%quiz'), ('Token.Text', '\\n'), ('Token.Text', "? it's\\n")]
    """

    name = "IEx cell"
    aliases = ["iex-cell"]

    def get_tokens_unprocessed(self, text):
        match = _MAGIC.match(text)
        if match is None:
            yield from ElixirLexer().get_tokens_unprocessed(text)
            return
        yield 0, Text, match[1]
        yield match.start(2), Keyword.Pseudo, match[2]
        yield match.start(3), Text, match[3]
        body = text[match.end():]
        if not body:
            return
        if match[2] in _ELIXIR_BODY:
            for index, token, value in ElixirLexer().get_tokens_unprocessed(body):
                yield match.end() + index, token, value
        else:
            yield match.end(), Text, body


class Highlight2HTMLWithMagics(Highlight2HTML):
    """nbconvert's ``highlight_code`` filter, reading Elixir cells with :class:`IExCellLexer`.

    Configured by name (``HTMLExporter.filters``), nbconvert builds it without the notebook's
    language: it assumes Elixir, the language of every notebook of the course.
    """

    def __init__(self, pygments_lexer=None, **kwargs):
        super().__init__(pygments_lexer=pygments_lexer or "elixir", **kwargs)

    def __call__(self, source, language=None, metadata=None):
        language = language or self.pygments_lexer
        if language != "elixir":
            return super().__call__(source, language, metadata)
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        # The same markup as nbconvert's own filter, for its CSS and post-processors.
        formatter = HtmlFormatter(cssclass=" highlight hl-elixir", **self.extra_formatter_options)
        return highlight(source or " ", IExCellLexer(), formatter)
