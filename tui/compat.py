"""Where dipaudit leans on how Textual works inside, and nowhere else.

Textual is pinned exactly (pyproject.toml). Each entry says what it relies on and why
no public API does the job in Textual 8.2.8; each has a test that fails when an
upgrade breaks it (tests/test_tui_compat.py, and the tests named below). On an
upgrade, run those first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from rich.color import Color
from textual import events
from textual._ansi_theme import DEFAULT_TERMINAL_THEME
from textual._compositor import Compositor
from textual._context import active_app
from textual._styles_cache import StylesCache
from textual.app import App
from textual.dom import DOMNode
from textual.geometry import Region
from textual.notifications import Notification
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget


def _get_renders(self: Compositor, crop: Region | None = None):
    """Textual's ``Compositor._get_renders``, leaving out widgets outside ``crop`` and the
    lines of a widget above or below it (``_render_chops``, its only caller, reads a
    widget's lines from the clip it is given: here the part of its clip in the crop's
    lines)."""
    items = self.visible_widgets.items()
    if crop:
        overlaps, top, bottom = crop.overlaps, crop.y, crop.bottom
        widget_regions = []
        for widget, (region, clip) in items:
            if overlaps(clip) and overlaps(region):
                if clip.y < top or clip.bottom > bottom:
                    y = max(clip.y, top)
                    clip = Region(clip.x, y, clip.width, min(clip.bottom, bottom) - y)
                widget_regions.append((widget, region, clip))
    else:
        widget_regions = [(widget, region, clip) for widget, (region, clip) in items]
    for widget, region, clip in widget_regions:
        if clip.contains_region(region):
            yield region, clip, widget.render_lines(Region(0, 0, region.width, region.height))
        else:
            new_x, new_y, new_width, new_height = region.intersection(clip)
            if new_width and new_height:
                yield region, clip, widget.render_lines(
                    Region(new_x - region.x, new_y - region.y, new_width, new_height))


def draws_only_widgets_in_updates() -> None:
    """Make the screen's compositor draw, for an update, only the widgets the update
    touches.

    Why: Textual 8.2.8's ``Compositor._get_renders`` (private) picks the widgets to draw
    for an update by their clip (the area of their container), not by where they are,
    so a key that changes the queue table has the header, the footer and its keys, the
    status line, the filter box and the child detail render every line too (from their
    caches, then cut up and thrown away: about a tenth of a cursor move's cost,
    bench/bench_tui.py), and a keystroke in the filter box has the screen, its
    containers and the table render all their lines for the one line that changed. A
    widget wholly outside the update's area, or a line above or below it, gives nothing
    to it (``ChopsUpdate`` writes only the spans updated), so this leaves them out; the
    body is Textual's otherwise. Full updates and screenshots (a crop of the whole screen) are
    unchanged. The App installs it; harmless to call again.

    Tests: tests/test_tui_compat.py (an update leaves out widgets outside it, and the
    screen ends as a full redraw draws it).
    """
    if getattr(Compositor._get_renders, "draws_only_widgets_in_updates", False):
        return
    if not callable(getattr(Compositor, "_get_renders", None)) or not hasattr(Compositor, "visible_widgets"):
        raise RuntimeError("textual changed: Compositor._get_renders is gone (tui/compat.py)")
    _get_renders.draws_only_widgets_in_updates = True
    _get_renders.textuals = Compositor._get_renders
    Compositor._get_renders = _get_renders


class SteadyStylesCache(StylesCache):
    """A widget's styles cache that styles a line of content once, however often it is
    drawn and wherever it moves.

    Why: Textual 8.2.8's ``StylesCache`` (private) keeps a widget's styled lines by their
    position and forgets them all when the widget scrolls; a table scrolled by one row
    then styles every visible line again (tint, the background beneath, the line filters,
    a new ``Strip`` each, then cut again at the screen's edges): about a third of a cursor
    move's cost at 10,000 rows (bench/bench_tui.py), though every line shows what a line
    showed before. A line of content (not a border, padding or outline line) is styled
    by ``StylesCache.render_line`` from its content line and from values that are the
    same for every such line in one draw: the widget's size, colours, opacity, the
    styles it reads (gutter, border, outline, tint, text opacity, hatch) and the ANSI
    theme. So this keeps the styled line for each content ``Strip`` (by identity: a
    ``Strip`` is immutable, and the table's line cache hands back the same object for a
    line drawn before) and gives it back while those values stay the same; any change
    of them starts afresh. Everything else is Textual's own ``render``/``render_line``.

    Tests: tests/test_tui_compat.py (lines styled as Textual's own, with a border,
    padding, tint and a theme change; a scroll styles only the lines that are new).
    """

    # Styled lines kept, the oldest dropped first: three screenfuls (~40 lines each), few
    # enough that the collector has little more to walk.
    MAX_LINES = 128

    def __init__(self) -> None:
        super().__init__()
        self._steady_key: tuple | None = None
        self._steady_lines: dict[int, tuple[Strip, Strip]] = {}
        self._steady_rows = range(0)  # the content lines of the draw under way
        self._steady_top = 0

    def render(self, styles, size, base_background, background, render_content_line, filters,
               border_title, border_subtitle, content_size=None, padding=None, crop=None,
               opacity=1.0, ansi_theme=DEFAULT_TERMINAL_THEME, native_ansi=False):
        if content_size is None:
            content_size = size
        if padding is None:
            padding = styles.padding
        try:
            app_theme = active_app.get().ansi_theme  # what Textual's tint reads
        except LookupError:
            app_theme = DEFAULT_TERMINAL_THEME
        gutter, outline = styles.gutter, styles.outline
        key = (size, content_size, padding, base_background, background, opacity, ansi_theme,
               native_ansi, app_theme, gutter, styles.border, outline, styles.tint,
               styles.text_opacity, styles.hatch if styles.has_rule("hatch") else None)
        if key != self._steady_key:
            self._steady_lines.clear()
            self._steady_key = key
        # The lines Textual styles as content ("C" in render_line), less the outline's.
        first = max(gutter.top, 1 if outline.top[0] else 0)
        end = min(size.height - gutter.bottom, gutter.top + content_size.height,
                  size.height - 1 if outline.bottom[0] else size.height)
        self._steady_top = gutter.top
        self._steady_rows = range(first, end)
        try:
            return super().render(styles, size, base_background, background, render_content_line,
                                  filters, border_title, border_subtitle, content_size=content_size,
                                  padding=padding, crop=crop, opacity=opacity, ansi_theme=ansi_theme,
                                  native_ansi=native_ansi)
        finally:
            self._steady_rows = range(0)

    def render_line(self, styles, y, size, content_size, padding, base_background, background,
                    render_content_line, *rest):
        if y not in self._steady_rows:
            return super().render_line(styles, y, size, content_size, padding, base_background,
                                       background, render_content_line, *rest)
        content = render_content_line(y - self._steady_top)
        lines = self._steady_lines
        kept = lines.get(id(content))
        if kept is not None and kept[0] is content:
            return kept[1]
        strip = super().render_line(styles, y, size, content_size, padding, base_background,
                                    background, lambda _y: content, *rest)
        if len(lines) >= self.MAX_LINES:
            del lines[next(iter(lines))]  # the oldest
        lines[id(content)] = (content, strip)
        return strip


def steady_styles(cls: type[Widget]) -> type[Widget]:
    """Give a widget a ``SteadyStylesCache`` in place of Textual's (the private
    ``Widget._styles_cache``, set in ``Widget.__init__``).

    Tests: tests/test_tui_compat.py (a RowTable's styles cache is a SteadyStylesCache).
    """
    init = cls.__init__

    def __init__(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        if not isinstance(getattr(self, "_styles_cache", None), StylesCache):
            raise RuntimeError("textual changed: Widget._styles_cache is gone (tui/compat.py)")
        self._styles_cache = SteadyStylesCache()

    cls.__init__ = __init__
    return cls


class SteadyScrollBar(ScrollBar):
    """A scrollbar that draws again only when what it shows changes.

    Why: Textual 8.2.8 draws a scrollbar again (a Rich renderable through the whole
    visual pipeline, every line) whenever its position changes, and a table of 10,000
    rows scrolled by one row moves its position every time, though the thumb moves a
    cell only every few dozen rows: the vertical bar cost more than the table's own
    lines per cursor move (bench/bench_tui.py). This keys the drawn lines on the bar's
    segments (``ScrollBarRender.render_bar``, as its ``__rich_console__`` computes them:
    public) with the size, the widget's style and the App's line filters (the
    private ``App._filters``), and returns the lines drawn last time (the whole bar, cut
    to the crop asked for) when those are the same. When the thumb moves, a vertical bar
    with no border, padding or outline reuses the lines it drew before for the same
    segment (each line is drawn from its own segment: the track, the thumb, its ends), so
    a page move draws nothing new once those have been drawn. Anything but the stock
    renderer draws as Textual does.

    Tests: tests/test_tui_compat.py (the bar draws as Textual's own as it moves, and
    is drawn again only when its segments change).
    """

    def render_lines(self, crop):
        renderable = self.render()
        if type(renderable) is not ScrollBarRender:
            return super().render_lines(crop)
        width, height = self.size
        console = self.app.console
        style = console.get_style(renderable.style)
        bar = renderable.render_bar(
            size=height if renderable.vertical else width,
            window_size=renderable.window_size, virtual_size=renderable.virtual_size,
            position=renderable.position, vertical=renderable.vertical,
            thickness=width if renderable.vertical else height,
            back_color=style.bgcolor or Color.parse("#555555"),
            bar_color=style.color or Color.parse("bright_magenta"))
        frame = (self.size, self.rich_style, tuple(self.app._filters))
        segments = tuple(bar.segments)
        key = (frame, segments)
        last = self.__dict__.get("_steady_lines")
        if last is not None and last[0] == key:
            lines = last[1]
        else:
            # A vertical bar is one segment a line, and with no border, padding or
            # outline each line is drawn from its own segment alone: lines drawn before
            # (the track, the thumb, its ends) are reused as they are.
            known = self.__dict__.get("_steady_known")
            if known is None or known[0] != frame:
                known = self._steady_known = (frame, {})
            by_segment = known[1]
            local = (renderable.vertical and len(segments) == height and not any(self.styles.gutter)
                     and not any(edge for edge, _color in self.styles.outline))
            if local and all(segment in by_segment for segment in segments):
                lines = [by_segment[segment] for segment in segments]
            else:
                lines = super().render_lines(self.size.region)  # the whole bar, whatever the crop
                if local and len(lines) == len(segments):
                    if len(by_segment) > 64:
                        by_segment.clear()
                    by_segment.update(zip(segments, lines, strict=True))
            self._steady_lines = (key, lines)
        if crop == self.size.region:
            return lines
        x1, x2 = crop.column_span
        return [line.crop(x1, x2) for line in lines[crop.y:crop.bottom]]  # as Textual cuts a crop


def steady_scrollbars(cls: type[Widget]) -> type[Widget]:
    """Give a widget ``SteadyScrollBar``s: its ``vertical_scrollbar`` and
    ``horizontal_scrollbar`` properties are Textual's bodies (the private
    ``_vertical_scrollbar``/``_horizontal_scrollbar`` and ``App._start_widget``) with
    that class.

    Tests: tests/test_tui_compat.py (a RowTable's bars are SteadyScrollBars).
    """

    def _bar(self, vertical: bool) -> ScrollBar:
        attr = "_vertical_scrollbar" if vertical else "_horizontal_scrollbar"
        bar = getattr(self, attr)
        if bar is None:
            size = self.scrollbar_size_vertical if vertical else self.scrollbar_size_horizontal
            bar = SteadyScrollBar(vertical=vertical, name="vertical" if vertical else "horizontal",
                                  thickness=size)
            setattr(self, attr, bar)
            bar.display = False
            self.app._start_widget(self, bar)
        return bar

    for name in ("_vertical_scrollbar", "_horizontal_scrollbar"):
        if name not in Widget.__init__.__code__.co_names:
            raise RuntimeError(f"textual changed: Widget.{name} is gone (tui/compat.py)")
    if not callable(getattr(App, "_start_widget", None)):
        raise RuntimeError("textual changed: App._start_widget is gone (tui/compat.py)")
    cls.vertical_scrollbar = property(lambda self: _bar(self, True))
    cls.horizontal_scrollbar = property(lambda self: _bar(self, False))
    return cls


class KeysAhead:
    """Keys typed ahead of a focus change go where the focus is by then, in order.

    Why: a burst of keys (a fast typist, an SSH link delivering keystrokes together) that
    starts with a key moving the focus (``e`` to edit evidence, ``/`` to the filter,
    ``escape`` out of an editor, ``tab``) must carry on where the focus now is. Textual
    hands every arriving key to the widget focused on arrival, and runs a non-priority
    binding only once the key has bubbled back up from that widget; so the rest of the
    burst is already queued at the old widget: dropped by a list, or typed into the
    wrong box.

    So the App (``on_event``) gives each arriving key to ``handle``: a key the focused
    widget would not take as text (``check_consume_key``) and that has an active
    binding (``Screen.active_bindings``) runs that binding at once (``App.run_action``),
    after the keys already handed to widgets have been handled (so text typed before an
    ``escape`` is in its box before the focus moves on). Text, priority bindings and
    keys with no binding take Textual's usual path. All of that is public API; what is
    relied on is the order of delivery inside ``App.on_event``.

    Tests: tests/test_tui_compat.py; tests/test_tui_checklist.py
    (test_keys_typed_ahead_of_a_focus_change_land_in_the_editor,
    test_enter_on_a_standard_edits_its_evidence_at_once); tests/test_tmux_queue.py.
    """

    # A widget that takes longer than this over keys already handed to it is not waited
    # for further (a ceiling against a stuck widget, never reached in normal use).
    DRAIN_SECONDS = 2.0

    def __init__(self, app: App) -> None:
        self.app = app
        self._queued_at: list[DOMNode] = []  # widgets holding keys not yet handled

    async def handle(self, event: events.Key) -> bool:
        """True when the key's binding ran here; False to let Textual deliver it."""
        app = self.app
        if event.is_forwarded:
            return False
        action = self._binding(event)
        if action is not None:
            await self._drain()
            if not app.app_focus:
                app.app_focus = True  # as Textual does for a key
            node, name = action
            if await app.run_action(name, node):
                event.stop()
                event.prevent_default()
                return True
        # Textual hands it to the focused widget (or the screen): wait for it there.
        target = app.focused or app.screen
        if target not in self._queued_at:
            self._queued_at.append(target)
        return False

    def _binding(self, event: events.Key) -> tuple[DOMNode, str] | None:
        app = self.app
        screen = app.screen
        if screen.maximized is not None:
            return None  # escape minimises: Textual's own path
        focused = app.focused
        if focused is not None and focused.check_consume_key(event.key, event.character):
            return None  # text for the focused box
        active = screen.active_bindings.get(event.key)
        if active is None or not active.enabled or active.binding.priority:
            return None
        return active.node, active.binding.action

    async def _drain(self) -> None:
        """Wait until every widget given keys has handled them."""
        nodes, self._queued_at = self._queued_at, []
        await messages_handled(nodes, self.DRAIN_SECONDS)


async def messages_handled(nodes: Iterable[DOMNode], timeout: float) -> None:
    """Wait (at most ``timeout`` seconds) until each node has handled every message
    queued to it so far.

    Why here: it relies on Textual handling a node's messages and its ``call_later``
    callbacks in the order they were queued (public calls, but an order Textual does
    not promise in writing). Used by ``KeysAhead`` and by the tests' ``settle``.

    Tests: tests/test_tui_compat.py (KeysAhead), and every test using tests/tui_helpers.settle.
    """
    flags = []
    for node in nodes:
        flag = asyncio.Event()
        if node.call_later(flag.set):
            flags.append(flag)
    if flags:
        waits = [asyncio.ensure_future(f.wait()) for f in flags]
        _done, late = await asyncio.wait(waits, timeout=max(timeout, 0.01))
        for task in late:
            task.cancel()


def notifications(app: App) -> list[Notification]:
    """The notifications (toasts) the app holds now, oldest first.

    Why: tests assert on the toasts an action shows; Textual offers ``notify`` and
    ``clear_notifications`` but no public read. Reads the private ``App._notifications``.

    Tests: tests/test_tui_compat.py, and every test using tests/tui_helpers.toasts.
    """
    return list(app._notifications)
