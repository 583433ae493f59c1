"""Type stubs of the native module (crates/rpasim-py); use the functions of
``rpasim`` instead, which return DataFrames."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

class ScenarioError(ValueError):
    """An invalid scenario: the command line's message; the first problem's
    location; every problem as (file, line, column, key, message)."""

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    key: Optional[str]
    problems: List[Tuple[str, Optional[int], Optional[int], Optional[str], str]]

MAX_SEED: int
"""The largest seed: what a TOML integer holds (2**63 - 1)."""

def run(
    text: Optional[str],
    source: str,
    set: List[str],
    selection: Optional[Callable[[List[Dict[str, Any]]], int]] = None,
    discipline: Optional[Callable[[Dict[str, Any]], Union[int, Tuple[int, int]]]] = None,
    runs: bool = True,
    progress: Optional[Callable[[Dict[str, Any]], Any]] = None,
) -> Dict[str, Union[str, bytes, None]]: ...
def validate(text: Optional[str], source: str, set: List[str]) -> str: ...
def sweep(
    scenario: str,
    vary: Sequence[Tuple[str, Sequence[str]]],
    replications: int,
    seed: Optional[int],
    set: List[str],
    out: str,
    jobs: Optional[int] = None,
    progress: Optional[Callable[[Dict[str, Any]], Any]] = None,
) -> None: ...
def vary_values(text: str) -> List[str]:
    """The values of ``KEY=VALUES`` as ``--vary`` reads them."""

def plan(
    scenario: str,
    search: Sequence[Tuple[str, Sequence[str]]],
    goals: List[str],
    confidence: float,
    replications: Tuple[int, int],
    seed: Optional[int],
    set: List[str],
    out: str,
    jobs: Optional[int] = None,
    progress: Optional[Callable[[Dict[str, Any]], Any]] = None,
) -> Tuple[Optional[List[str]], int, int, int, float, List[int]]: ...
def import_history(
    history: str,
    out: str,
    fleet: Optional[str] = None,
    start: Optional[str] = None,
    end: Optional[str] = None,
    flows: List[str] = ...,
) -> Tuple[str, Tuple[int, int, int, int, int], List[str], List[str], List[str]]: ...
def check(
    baseline: str,
    current_file: Optional[str],
    current: List[Tuple[str, bytes]],
    tolerances: List[str],
) -> Tuple[
    int, int, int,
    List[Tuple[str, str, Optional[float], Optional[float], str, str, Optional[float], str]],
    str,
]: ...
def columns(
    data: bytes, kinds: List[str]
) -> Optional[List[Tuple[Any, ...]]]:
    """The columns of an rpasim CSV table typed by ``kinds``, pandas' dtype
    names (``"int64"``, ``"Int64"``, ``"float64"``, ``"category"``), or None
    where pandas must read it: ``("int64" | "float64", values)``,
    ``("Int64", values, missing)``,
    ``("category", codes, categories)``, the arrays as little-endian
    ``bytearray``s."""
