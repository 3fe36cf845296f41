"""Stop strings end the answer even when they arrive split across tokens."""

from nexthub.engine.stop_strings import StopStringScanner


def feed_all(scanner: StopStringScanner, pieces: list[str]) -> tuple[str, bool]:
    shown = []
    for piece in pieces:
        result = scanner.feed(piece)
        shown.append(result.text)
        if result.stopped:
            return "".join(shown), True
    shown.append(scanner.flush())
    return "".join(shown), False


def test_stop_string_split_across_pieces_is_found_and_not_shown() -> None:
    text, stopped = feed_all(StopStringScanner(["\nUser:"]), ["Hello", " there\nUs", "er: next"])
    assert (text, stopped) == ("Hello there", True)


def test_text_that_only_looks_like_a_stop_start_is_shown_in_the_end() -> None:
    text, stopped = feed_all(StopStringScanner(["###"]), ["a #", "# b", " c#"])
    assert (text, stopped) == ("a ## b c#", False)


def test_held_back_text_is_not_shown_early() -> None:
    scanner = StopStringScanner(["STOP"])
    assert scanner.feed("go ST").text == "go "
    assert scanner.feed("OP").stopped


def test_no_stop_strings_passes_everything_through() -> None:
    scanner = StopStringScanner([])
    assert scanner.feed("anything").text == "anything"


def test_earliest_of_several_stop_strings_wins() -> None:
    text, stopped = feed_all(StopStringScanner(["END", "x"]), ["abc x END"])
    assert (text, stopped) == ("abc ", True)
