"""The chat view's parts, wired together by :class:`nexthub.gui.chat_panel.ChatPanel`.

- ``markdown_html``, ``markdown_split``, ``text_estimate``: markdown to HTML,
  where a streaming answer can be cut, and guessed text heights (pure Python:
  they run on worker threads);
- ``message_model``, ``message_document``, ``message_delegate``,
  ``message_list``: the rows, each message with its own laid-out document;
- ``message_actions``, ``message_commands``: the buttons of the active message,
  and copy, code, links and details;
- ``answer_stream``, ``live_render``: an answer's events off the main thread,
  painted in batches, its markdown re-rendered a few times a second;
- ``branch_reader``: reading the shown branch and rendering it, off the main thread;
- ``composer``: the message box; ``details``: the words about a message;
  ``responsiveness``: the GIL switch interval and the cycle collector.
"""
