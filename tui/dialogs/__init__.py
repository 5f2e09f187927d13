"""Modal dialogs (``ModalScreen`` subclasses), one module each. A dialog asks, and
dismisses with the answer; it calls no service itself, except the draw form, which runs
the draw and shows its result in place.

- ``confirm.ConfirmScreen``: yes / no (``ModalScreen[bool]``).
- ``error.ErrorScreen``: a failure nobody planned for, in plain words.
- ``submit``: ``SubmitConfirm`` (names who is alerted, and who cannot be),
  ``GapsDialog`` (what stops a submission), ``ConflictDialog`` (saved elsewhere first).
- ``text_prompt.TextPrompt``, ``date_prompt.DatePrompt``: one line of text, one date.
- ``comment_form.CommentForm``: a comment or query, possibly on someone's behalf.
- ``draw.DrawScreen``: the draw form and its result.
- ``help.HelpScreen``: the keys of the screen underneath.
- ``export.ExportDialog``: a file and a format to export a report to.
- ``report_history.ReportHistory``: the reports sent; pick one to read as sent.
- ``reassign``: ``reassign_choices`` (who may take the work: admins only) and
  ``reassign_prompt`` (the new holder's login), for the queue and action screens.
"""
