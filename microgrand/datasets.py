"""Small two-feature data sets for logistic regression: the shipped iris subset and users' CSVs.

A data set is three columns (x1, x2 and a 0/1 label y), kept as plain lists of floats: no
per-example objects, because training builds a graph from them every epoch. A CSV that
cannot be used is refused with a `DataError` whose one-line message names the file, the
line (as an editor counts it: the header is line 1 unless comment lines precede it) and
what is wrong there.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

IRIS = "iris"
IRIS_DESCRIPTION = "iris setosa (0) vs versicolor (1), sepal length and width"


class DataError(ValueError):
    """A data file cannot be used; the message is one line and names the place."""


@dataclass(frozen=True, slots=True)
class Dataset:
    """m examples of two features and a 0/1 label, as columns."""

    name: str
    feature_names: tuple[str, str]
    x1: list[float]
    x2: list[float]
    y: list[float]

    @property
    def m(self) -> int:
        """The number of examples."""
        return len(self.y)


@dataclass(frozen=True, slots=True)
class Standardized:
    """A data set whose features were shifted to mean 0 and scaled to standard deviation 1."""

    data: Dataset
    means: tuple[float, float]
    stds: tuple[float, float]


def load_iris() -> Dataset:
    """Fisher's iris, setosa vs versicolor on sepal length and width (100 rows, in cm)."""
    text = resources.files("microgrand").joinpath("data", "iris.csv").read_text("utf-8")
    return parse_csv(text, "iris.csv", name=IRIS_DESCRIPTION)


def load(source: str) -> Dataset:
    """`"iris"` for the shipped data set, else the path of a CSV file (see `load_csv`)."""
    if source == IRIS:
        return load_iris()
    return load_csv(source)


def load_csv(path: str | Path) -> Dataset:
    """Read a CSV with a header row and three columns: two features, then a 0/1 label.

    Blank lines and lines starting with ``#`` are skipped. Raises DataError naming the
    file and line for a missing or empty file, a wrong number of columns, a value that is
    not a finite number, a label other than 0 or 1, or labels of only one class.
    """
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{shown}: is a directory, not a CSV file") from None
    except OSError as error:
        raise DataError(f"{shown}: cannot read the file ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(f"{shown}, line {line}: not UTF-8 text (is this a CSV file?)") from None
    return parse_csv(text, shown, name=Path(path).name)


def parse_csv(text: str, shown: str, *, name: str) -> Dataset:
    """Parse CSV text (see `load_csv`); `shown` is how messages name the file."""
    if not text.strip():
        raise DataError(f"{shown}: the file is empty (expected a header row and data rows)")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    columns: tuple[list[float], list[float], list[float]] = ([], [], [])
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row) or row[0].startswith("#"):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                _check_header(header, shown, line)
                continue
            if len(row) != 3:
                raise DataError(
                    f"{shown}, line {line}: expected 3 values ({', '.join(header)}), got {len(row)}"
                )
            for column, cell, title in zip(columns, row, header, strict=True):
                column.append(_number(cell, shown, line, title))
            label = columns[2][-1]
            if label not in (0.0, 1.0):
                raise DataError(
                    f"{shown}, line {line}: the label ({header[2]}) must be 0 or 1, "
                    f"got {row[2].strip()}"
                )
    except csv.Error as error:
        raise DataError(f"{shown}, line {reader.line_num}: not valid CSV ({error})") from None
    if header is None:
        raise DataError(f"{shown}: the file has no header row (only comments or blank lines)")
    x1, x2, y = columns
    if not y:
        raise DataError(f"{shown}: the file has a header but no data rows")
    ones = sum(y)
    if ones in (0.0, len(y)):
        only = int(y[0])
        raise DataError(
            f"{shown}: every label is {only} ({len(y)} rows); logistic regression needs "
            "examples of both classes 0 and 1"
        )
    return Dataset(name=name, feature_names=(header[0], header[1]), x1=x1, x2=x2, y=y)


def _check_header(header: list[str], shown: str, line: int) -> None:
    if len(header) != 3:
        raise DataError(
            f"{shown}, line {line}: the header must name 3 columns (two features, then "
            f"the 0/1 label), got {len(header)}"
        )
    numeric = 0
    for cell in header:
        try:
            float(cell)
            numeric += 1
        except ValueError:
            pass
    if numeric == 3:
        raise DataError(
            f"{shown}, line {line}: expected a header row naming the 3 columns "
            "(e.g. x1,x2,label), got numbers"
        )


def _number(cell: str, shown: str, line: int, title: str) -> float:
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        what = "an empty value" if not text else repr(_short(text))
        raise DataError(f"{shown}, line {line}: column {title}: {what} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{shown}, line {line}: column {title}: {text} is not a finite number")
    return value


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def standardize(data: Dataset) -> Standardized:
    """Shift each feature to mean 0 and scale it to standard deviation 1 (population std).

    Plain gradient descent needs this: on raw centimetres the two features have different
    scales and a far-off mean, so a learning rate that is stable is also very slow. A
    constant feature is only centred (its standard deviation is 0).
    """
    means: list[float] = []
    stds: list[float] = []
    columns: list[list[float]] = []
    for column in (data.x1, data.x2):
        mean, std, scaled_column = _standardize_column(column)
        means.append(mean)
        stds.append(std)
        columns.append(scaled_column)
    scaled = Dataset(
        name=data.name, feature_names=data.feature_names, x1=columns[0], x2=columns[1], y=data.y
    )
    return Standardized(data=scaled, means=(means[0], means[1]), stds=(stds[0], stds[1]))


def _standardize_column(column: list[float]) -> tuple[float, float, list[float]]:
    """The mean, the std and the standardized values of one column of finite floats.

    The column is first divided by its largest magnitude, so that neither the sum nor the
    squares can overflow however large the (finite) values are: |mean| and std are at
    most that magnitude, so they are finite too.
    """
    top = max(abs(v) for v in column)
    if top == 0.0:
        return 0.0, 0.0, [0.0 for _ in column]
    unit = [v / top for v in column]
    mean = math.fsum(unit) / len(unit)
    std = math.sqrt(math.fsum((u - mean) ** 2 for u in unit) / len(unit))
    scale = std if std > 0.0 else 1.0
    return mean * top, std * top, [(u - mean) / scale for u in unit]
